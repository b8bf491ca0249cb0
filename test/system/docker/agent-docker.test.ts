import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER_URL, IMAGE, docker, needDocker } from './docker-harness.js';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';

/**
 * The whole agent on a real Docker Engine: a labelled container becomes a service, `docker
 * stop` tombstones it within 1 s, and a `SidecarListener` container receives change events.
 * Skipped locally without an Engine (scripts/docker/start-dockerd.sh); fails in CI.
 */
const RUN_ID = `sda${process.pid}${Date.now().toString(36)}`;
let unreachable: string | null = null;
let agent: AgentProcess | null = null;
let api = '';



interface Record {
  ID: string;
  Name: string;
  Status: number;
  Ports: Array<{ Port: number; ServicePort: number; IP: string }>;
}
async function records(): Promise<Record[]> {
  const state = (await (await fetch(`${api}/api/state.json`)).json()) as { Servers: { [host: string]: { Services: { [id: string]: Record } } } };
  return Object.values(state.Servers['dockerhost']?.Services ?? {});
}

before(async () => {
  try {
    await docker('version', '--format', '{{.Server.APIVersion}}');
    await docker('image', 'inspect', IMAGE);
  } catch (err) {
    unreachable = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    return;
  }
  agent = startAgent(['--hostname', 'dockerhost', '--discover', 'docker', '--http-port', '0', '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy'], { DOCKER_URL });
  api = await agent.apiUrl();
});

after(async () => {
  await agent?.stop();
  if (unreachable !== null) return;
  const ids = await docker('ps', '-aq', '--filter', `label=sidecar-test=${RUN_ID}`).catch(() => '');
  if (ids !== '') await docker('rm', '-f', ...ids.split('\n')).catch(() => '');
});

test('a labelled container is announced ALIVE and docker stop tombstones it within 1 s', { timeout: 60_000 }, async (t) => {
  if (!needDocker(t, unreachable)) return;
  const name = `${RUN_ID}-web`;
  const id = (
    await docker('run', '-d', '--init', '--name', name, '-l', `sidecar-test=${RUN_ID}`, '-l', `ServiceName=${name}`, '-l', 'ServicePort_80=9500',
      '-l', 'HealthCheck=HttpGet', '-l', 'HealthCheckArgs=http://{{ host }}:{{ tcp 9500 }}/', '-p', '0:80', IMAGE)
  ).slice(0, 12);
  const svc = await eventually(
    async () => {
      const found = (await records()).find((r) => r.ID === id);
      assert.equal(found?.Status, 0, 'ALIVE once its HttpGet check passes');
      return found;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  assert.equal(svc?.Ports[0]?.ServicePort, 9500);
  assert.equal(svc?.Ports[0]?.IP, '127.0.0.1');

  await docker('stop', '-t', '1', name);
  const stopped = Date.now();
  await eventually(async () => assert.equal((await records()).find((r) => r.ID === id)?.Status, 1), { timeoutMs: 5000, intervalMs: 20 });
  const tombstonedMs = Date.now() - stopped;
  t.diagnostic(`tombstoned ${tombstonedMs} ms after docker stop returned`);
  assert.ok(tombstonedMs < 1000, `tombstoned after ${tombstonedMs} ms`);
});

test('a SidecarListener container receives the change events', { timeout: 60_000 }, async (t) => {
  if (!needDocker(t, unreachable)) return;
  const name = `${RUN_ID}-listener`;
  // busybox nc answers each request with 200 and prints it to the container's log.
  // The answer waits a moment so the whole POST body is read (and logged) first.
  const script = 'while true; do (sleep 0.3; printf "HTTP/1.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n") | nc -l -p 80; done';
  await docker('run', '-d', '--init', '--name', name, '-l', `sidecar-test=${RUN_ID}`, '-l', `ServiceName=${name}`, '-l', 'ServicePort_80=9600',
    '-l', 'SidecarListener=9600', '-l', 'HealthCheck=AlwaysSuccessful', '-p', '0:80', IMAGE, 'sh', '-c', script);
  await eventually(async () => assert.ok((await records()).some((r) => r.Name === name)), { timeoutMs: 10_000, intervalMs: 50 });
  // Give the agent a second to register the discovered listener, then cause a change.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const posts = async (): Promise<number> => (await docker('logs', name)).match(/POST \/sidecar\/update HTTP\/1\.1/g)?.length ?? 0;
  const before = await posts();
  const other = `${RUN_ID}-trigger`;
  await docker('run', '-d', '--init', '--name', other, '-l', `sidecar-test=${RUN_ID}`, '-l', `ServiceName=${other}`, '-l', 'HealthCheck=AlwaysSuccessful', '-p', '0:80', IMAGE);
  await eventually(async () => assert.ok((await posts()) > before, 'a POST arrived after the trigger container started'), { timeoutMs: 15_000, intervalMs: 200 });
  assert.match(await docker('logs', name), /Content-Type: application\/json/);
});
