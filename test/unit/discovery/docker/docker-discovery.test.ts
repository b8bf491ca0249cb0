import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../../src/core/index.js';
import {
  DockerDiscovery,
  DockerLabelNamer,
  MemoryDockerClient,
  type ContainerDetails,
  type DockerDiscoveryOptions,
} from '../../../../src/discovery/docker/index.js';
import { captureLogger, LEVEL, type LogRecord } from '../../../helpers/log-capture.js';
import { NAMES, recordedInspect, recordedSummary } from './fixtures.js';

interface Rig {
  readonly clock: FakeClock;
  readonly docker: MemoryDockerClient;
  readonly source: DockerDiscovery;
  readonly records: LogRecord[];
  /** onDidChange count. */
  changes(): number;
}

function rig(options: Partial<DockerDiscoveryOptions> = {}, seed = true): Rig {
  const clock = new FakeClock();
  const docker = new MemoryDockerClient();
  if (seed) for (const name of NAMES) docker.add(recordedInspect(name), recordedSummary(name));
  const { logger, records } = captureLogger();
  const source = new DockerDiscovery({
    dockerUrl: 'unix:///var/run/docker.sock',
    env: {},
    hostname: 'node-1',
    advertiseIp: '10.0.0.5',
    namer: new DockerLabelNamer(),
    clock,
    logger,
    client: docker,
    ...options,
  });
  let changes = 0;
  source.onDidChange(() => changes++);
  return { clock, docker, source, records, changes: () => changes };
}

/** Lets the in-memory Engine's answers (promise callbacks) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function names(r: Rig): string[] {
  return r.source.services().map((s) => s.name).sort();
}

function container(id: string, name: string, labels: Record<string, string> = {}): ContainerDetails {
  return {
    Id: id.padEnd(64, '0'),
    Name: `/${name}`,
    Created: '2026-01-01T00:00:00.5Z',
    Config: { Image: 'local/busybox', Labels: { ServiceName: name, ServicePort_80: '9600', ...labels } },
    State: { Running: true },
    NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '40000' }, { HostIp: '::', HostPort: '40000' }] } },
  };
}

test('start() lists the containers at once: services, checks, listeners, Docker health', async () => {
  const r = rig();
  await r.source.start();
  assert.deepEqual(names(r), ['awesome-svc', 'bad-port', 'doc-health', 'local/busybox']);
  const web = r.source.services().find((s) => s.name === 'awesome-svc');
  assert.ok(web !== undefined);
  assert.deepEqual(r.source.healthCheck(web), { type: 'HttpGet', args: 'http://{{ host }}:{{ tcp 9500 }}/' });
  const healthy = r.source.services().find((s) => s.name === 'doc-health');
  assert.ok(healthy !== undefined);
  assert.deepEqual(r.source.healthCheck(healthy), { type: 'DockerHealth', args: '5fefb61e0690' });
  assert.equal(r.source.dockerHealthStatus('5fefb61e0690'), 'healthy');
  assert.equal(r.source.dockerHealthStatus('e3613d031f44'), undefined);
  assert.deepEqual(r.source.listeners(), [{ name: 'Service(awesome-svc-e3613d031f44)', url: 'http://10.0.0.5:32768/sidecar/update' }]);
  // The bad ServicePort label is logged once, naming the container and the label…
  const bad = () => r.records.filter((x) => x.level === LEVEL.warn && /fx-badport.*ServicePort_80/.test(x.msg));
  assert.equal(bad().length, 1);
  // …and not again at every poll.
  await r.clock.advanceAsync(5000, 250);
  assert.equal(bad().length, 1);
  assert.equal(r.docker.calls.inspect, 5, 'each container is inspected once');
  await r.source.close();
});

test('a start event adds the container before the next poll; docker stop removes it at once', async () => {
  const r = rig({}, false);
  await r.source.start();
  await settle();
  assert.equal(r.docker.subscriberCount, 1);
  const listsBefore = r.docker.calls.list;
  r.docker.start(container('aaaaaaaaaaaa', 'fresh'));
  await settle();
  assert.deepEqual(names(r), ['fresh']);
  assert.equal(r.docker.calls.list, listsBefore, 'found without a poll');
  assert.equal(r.changes() > 0, true);
  const svc = r.source.services()[0];
  assert.deepEqual(svc?.ports, [{ type: 'tcp', port: 40000, servicePort: 9600, ip: '10.0.0.5' }]);
  assert.equal(svc?.created, 1767225600n * 1_000_000_000n, 'whole seconds, like the list');

  // The next polls find the same service: no change fired.
  const changes = r.changes();
  await r.clock.advanceAsync(3000, 250);
  assert.equal(r.changes(), changes);

  r.docker.stop('aaaaaaaaaaaa');
  assert.deepEqual(names(r), [], 'removed synchronously on the kill event');
  assert.equal(r.changes(), changes + 1);
  await r.source.close();
});

test('a kill with HUP does not remove the service; kill -9 does', async () => {
  const r = rig({}, false);
  r.docker.add(container('bbbbbbbbbbbb', 'reloadable'));
  await r.source.start();
  await settle();
  r.docker.kill('bbbbbbbbbbbb', '1');
  assert.deepEqual(names(r), ['reloadable']);
  r.docker.kill('bbbbbbbbbbbb', '9');
  assert.deepEqual(names(r), []);
  await r.clock.advanceAsync(2000, 250);
  assert.deepEqual(names(r), []);
  await r.source.close();
});

test('a container stopping slowly after kill 15 is not re-announced by a poll before its die', async () => {
  const r = rig({}, false);
  const c = container('cccccccccccc', 'slow');
  r.docker.add(c);
  await r.source.start();
  await settle();
  // SIGTERM ignored: the container keeps running for a while.
  r.docker.emit({ Type: 'container', Action: 'kill', Actor: { ID: c.Id, Attributes: { signal: '15' } } });
  assert.deepEqual(names(r), []);
  await r.clock.advanceAsync(5000, 250);
  assert.deepEqual(names(r), [], 'still withdrawn while it shuts down');
  // If it never dies, the poll brings it back after killGraceMs (30 s).
  await r.clock.advanceAsync(30_000, 500);
  assert.deepEqual(names(r), ['slow']);
  await r.source.close();
});

test('a container that vanished without an event is removed by the next poll; a new one is added by it', async () => {
  const r = rig();
  await r.source.start();
  r.docker.vanish('e3613d031f44');
  r.docker.add(container('dddddddddddd', 'polled'));
  const changes = r.changes();
  await r.clock.advanceAsync(1000, 100);
  assert.deepEqual(names(r), ['bad-port', 'doc-health', 'local/busybox', 'polled']);
  assert.deepEqual(r.source.listeners(), []);
  assert.equal(r.changes(), changes + 1);
  await r.source.close();
});

test('health_status events refresh dockerHealthStatus', async () => {
  const r = rig();
  await r.source.start();
  await settle();
  r.docker.setHealth('5fefb61e0690', 'unhealthy');
  assert.equal(r.source.dockerHealthStatus('5fefb61e0690'), 'unhealthy');
  assert.equal(r.source.dockerHealthStatus('5fefb61e06900f6f9d990da5e989579dbb9538545cd618238041de371ed24bab'), 'unhealthy');
  await r.source.close();
});

test('Docker absent at start: start() resolves, one clear log line, services appear when it comes', async () => {
  const r = rig();
  r.docker.goDown();
  await r.source.start();
  assert.deepEqual(r.source.services(), []);
  const warns = () => r.records.filter((x) => x.level === LEVEL.warn && x.msg.startsWith('Docker not reachable at memory://docker: connect ENOENT'));
  assert.equal(warns().length, 1);
  assert.match(warns()[0]?.msg ?? '', /will keep trying$/);
  await r.clock.advanceAsync(20_000, 500);
  assert.equal(warns().length, 1, 'logged once, not every second');
  r.docker.comeBack();
  await r.clock.advanceAsync(1000, 100);
  assert.equal(names(r).length, 4);
  assert.equal(r.records.filter((x) => /^Docker reachable at memory:\/\/docker after 2\d\.\d s; resynced$/.test(x.msg)).length, 1);
  await settle();
  assert.equal(r.docker.subscriberCount, 1, 'events reopened as soon as the Engine answered');
  await r.source.close();
});

test('Engine restart: last known services kept, events reopened with back-off, resync finds what changed', async () => {
  const r = rig();
  await r.source.start();
  await settle();
  assert.equal(r.docker.subscriberCount, 1);
  r.docker.goDown();
  await settle();
  await r.clock.advanceAsync(10_000, 250);
  assert.equal(names(r).length, 4, 'kept while Docker is away');
  // Back-off: 0.5, 1, 2, 4 s… so about 5 attempts in 10 s, not 20.
  const attempts = r.docker.calls.subscribe;
  assert.ok(attempts >= 4 && attempts <= 7, `subscribe attempts: ${attempts}`);
  assert.equal(r.records.filter((x) => x.msg.startsWith('Docker not reachable')).length, 1);
  assert.equal(r.records.filter((x) => x.msg.startsWith('Docker event stream lost')).length, 1);
  // While it was away one container went and one came.
  r.docker.vanish('1ba46c763d17');
  r.docker.add(container('eeeeeeeeeeee', 'while-away'));
  r.docker.comeBack();
  await r.clock.advanceAsync(1000, 100);
  assert.deepEqual(names(r), ['awesome-svc', 'doc-health', 'local/busybox', 'while-away']);
  await settle();
  assert.equal(r.docker.subscriberCount, 1);
  assert.equal(r.records.filter((x) => x.msg === 'Docker event stream reopened').length, 1);
  await r.source.close();
});

test('after staleAfterMs without a successful list, services() and listeners() are empty, once logged and fired', async () => {
  const r = rig({ staleAfterMs: 80_000 });
  await r.source.start();
  r.docker.goDown();
  await r.clock.advanceAsync(79_000, 1000);
  assert.equal(names(r).length, 4);
  const changes = r.changes();
  await r.clock.advanceAsync(3000, 1000);
  assert.deepEqual(r.source.services(), []);
  assert.deepEqual(r.source.listeners(), []);
  assert.equal(r.changes(), changes + 1);
  assert.equal(r.records.filter((x) => x.msg.startsWith('No answer from Docker for 80 s')).length, 1);
  await r.clock.advanceAsync(10_000, 1000);
  assert.equal(r.records.filter((x) => x.msg.startsWith('No answer from Docker')).length, 1);
  r.docker.comeBack();
  await r.clock.advanceAsync(1000, 100);
  assert.equal(names(r).length, 4);
  assert.equal(r.changes(), changes + 2);
  await r.source.close();
});

test('close() is idempotent, stops the timers and the event stream', async () => {
  const r = rig();
  await r.source.start();
  await settle();
  await Promise.all([r.source.close(), r.source.close()]);
  assert.equal(r.clock.pendingTimers, 0);
  assert.equal(r.docker.subscriberCount, 0);
  const lists = r.docker.calls.list;
  await r.clock.advanceAsync(5000, 500);
  assert.equal(r.docker.calls.list, lists);
});

test('a bad DOCKER_URL rejects start() with CONFIG_INVALID', async () => {
  const clock = new FakeClock();
  const { logger } = captureLogger();
  const source = new DockerDiscovery({ dockerUrl: 'ftp://x', env: {}, hostname: 'h', advertiseIp: '1.2.3.4', namer: new DockerLabelNamer(), clock, logger });
  await assert.rejects(source.start(), /DOCKER_URL/);
  await source.close();
});
