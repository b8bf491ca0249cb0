import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DOCKER_URL, IMAGE, docker, needDocker } from './docker-harness.js';

const run = promisify(execFile);
import { systemClock } from '../../../src/core/index.js';
import {
  DockerDiscovery,
  DockerLabelNamer,
  DockerodeClient,
  resolveDockerEndpoint,
} from '../../../src/discovery/docker/index.js';
import type { Service } from '../../../src/catalog/index.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLogger } from '../../helpers/log-capture.js';

/**
 * Docker discovery against a real Docker Engine (scripts/docker/start-dockerd.sh and
 * make-image.sh). Without an Engine every test is skipped locally and fails in CI.
 */
const RUN_ID = `sdt${process.pid}${Date.now().toString(36)}`;
const ADVERTISE = '10.9.9.9';
let unreachable: string | null = null;


/** A labelled container of this run (removed in `after`); returns its full ID. */
async function runContainer(name: string, args: readonly string[]): Promise<string> {
  return docker('run', '-d', '--init', '--name', `${RUN_ID}-${name}`, '-l', `sidecar-test=${RUN_ID}`, ...args, IMAGE);
}


function discovery(): DockerDiscovery {
  return new DockerDiscovery({
    dockerUrl: DOCKER_URL,
    env: process.env,
    hostname: 'node-sys',
    advertiseIp: ADVERTISE,
    namer: new DockerLabelNamer(),
    clock: systemClock,
    logger: captureLogger().logger,
  });
}

/** This run's services whose name starts with `<run>-<prefix>`. */
function ours(d: DockerDiscovery, prefix: string): Service[] {
  return d.services().filter((s) => s.name.startsWith(`${RUN_ID}-${prefix}`));
}

before(async () => {
  const client = new DockerodeClient(resolveDockerEndpoint(DOCKER_URL, process.env), { requestTimeoutMs: 2000 });
  try {
    await client.ping();
    await docker('image', 'inspect', IMAGE);
  } catch (err) {
    unreachable = err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
  } finally {
    client.close();
  }
});

after(async () => {
  if (unreachable !== null) return;
  const ids = await docker('ps', '-aq', '--filter', `label=sidecar-test=${RUN_ID}`).catch(() => '');
  if (ids !== '') await docker('rm', '-f', ...ids.split('\n')).catch(() => '');
});

test('labelled containers with -P and -p 0:80 appear with their published ports and ServicePorts; SidecarDiscover=false is ignored', async (t) => {
  if (!needDocker(t, unreachable)) return;
  const d = discovery();
  await d.start();
  try {
    const a = await runContainer('p-upper', ['-l', `ServiceName=${RUN_ID}-p-a`, '-l', 'ServicePort_80=9500', '-l', 'HealthCheck=HttpGet', '-l', 'HealthCheckArgs=http://{{ host }}:{{ tcp 9500 }}/', '-P']);
    const b = await runContainer('p-zero', ['-l', `ServiceName=${RUN_ID}-p-b`, '-l', 'ServicePort_80=9501', '-l', 'ProxyMode=tcp', '-p', '0:80']);
    await runContainer('hidden', ['-l', `ServiceName=${RUN_ID}-hidden`, '-l', 'SidecarDiscover=false', '-p', '0:80']);
    const portOf = async (id: string): Promise<number> => Number((await docker('port', id, '80/tcp')).split('\n')[0]?.split(':').pop());
    const [pa, pb] = [await portOf(a), await portOf(b)];
    await eventually(() => assert.equal(ours(d, 'p-').length, 2), { timeoutMs: 3000 });
    const byName = new Map(ours(d, 'p-').map((s) => [s.name, s]));
    const sa = byName.get(`${RUN_ID}-p-a`);
    const sb = byName.get(`${RUN_ID}-p-b`);
    assert.ok(sa !== undefined && sb !== undefined);
    assert.equal(sa.id, a.slice(0, 12));
    assert.equal(sa.hostname, 'node-sys');
    assert.equal(sa.image, IMAGE);
    assert.deepEqual(sa.ports, [{ type: 'tcp', port: pa, servicePort: 9500, ip: ADVERTISE }], 'one port for the 0.0.0.0 and :: bindings');
    assert.deepEqual(sb.ports, [{ type: 'tcp', port: pb, servicePort: 9501, ip: ADVERTISE }]);
    assert.equal(sa.proxyMode, 'http');
    assert.equal(sb.proxyMode, 'tcp');
    assert.deepEqual(d.healthCheck(sa), { type: 'HttpGet', args: 'http://{{ host }}:{{ tcp 9500 }}/' });
    assert.equal(d.healthCheck(sb), null);
  } finally {
    await d.close();
  }
});

test('docker stop removes the service within 1 s of stop returning; a HEALTHCHECK container gets DockerHealth', async (t) => {
  if (!needDocker(t, unreachable)) return;
  const d = discovery();
  await d.start();
  try {
    const id = await runContainer('stopme', ['-l', `ServiceName=${RUN_ID}-stop`, '-l', 'ServicePort_80=9502', '-p', '0:80',
      '--health-cmd', 'wget -q -O /dev/null http://127.0.0.1/ || exit 1', '--health-interval', '1s']);
    const found = Date.now();
    await eventually(() => assert.equal(ours(d, 'stop').length, 1), { timeoutMs: 3000 });
    t.diagnostic(`discovered ${Date.now() - found} ms after docker run returned`);
    const svc = ours(d, 'stop')[0];
    assert.ok(svc !== undefined);
    assert.deepEqual(d.healthCheck(svc), { type: 'DockerHealth', args: id.slice(0, 12) });
    await eventually(() => assert.equal(d.dockerHealthStatus(id), 'healthy'), { timeoutMs: 5000 });

    let goneAt = 0;
    const sub = d.onDidChange(() => {
      if (goneAt === 0 && ours(d, 'stop').length === 0) goneAt = Date.now();
    });
    await docker('stop', id);
    const stopped = Date.now();
    await eventually(() => assert.ok(goneAt > 0), { timeoutMs: 1500 });
    sub.dispose();
    t.diagnostic(`service gone ${goneAt - stopped} ms after docker stop returned (negative: before it returned)`);
    assert.ok(goneAt - stopped < 1000, `removed ${goneAt - stopped} ms after stop returned`);
  } finally {
    await d.close();
  }
});

test('restarting dockerd loses nothing: the services are back after the reconnect', { timeout: 60_000 }, async (t) => {
  if (!needDocker(t, unreachable)) return;
  if (!DOCKER_URL.startsWith('unix:///var/run/docker.sock')) {
    t.skip('restart test drives scripts/docker/*-dockerd.sh, which manage the default socket only');
    return;
  }
  const d = discovery();
  await d.start();
  try {
    const id = await runContainer('survivor', ['--restart', 'always', '-l', `ServiceName=${RUN_ID}-survivor`, '-l', 'ServicePort_80=9503', '-p', '0:80']);
    await eventually(() => assert.equal(ours(d, 'survivor').length, 1), { timeoutMs: 3000 });
    let sawItGo = false;
    const sub = d.onDidChange(() => {
      if (ours(d, 'survivor').length === 0) sawItGo = true;
    });
    await run('scripts/docker/stop-dockerd.sh', [], { timeout: 40_000 });
    assert.ok(sawItGo, 'the container died with dockerd, so its service went');
    await run('scripts/docker/start-dockerd.sh', [], { timeout: 40_000 });
    const back = Date.now();
    await eventually(
      () => {
        const s = ours(d, 'survivor');
        assert.equal(s.length, 1);
        assert.equal(s[0]?.id, id.slice(0, 12));
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    sub.dispose();
    t.diagnostic(`service back ${Date.now() - back} ms after dockerd answered again`);
    // And the event stream works again: a stop is seen at once.
    await docker('stop', id);
    await eventually(() => assert.equal(ours(d, 'survivor').length, 0), { timeoutMs: 1000 });
  } finally {
    await d.close();
  }
});
