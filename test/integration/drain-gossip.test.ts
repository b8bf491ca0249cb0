/**
 * A drain reaches the other agents by gossip at once, not only with the next push/pull: two
 * agents on loopback with push/pull pushed out to a minute; `POST /api/services/<id>/drain`
 * on one, and the other sees the instance DRAINING within a few seconds. (Found by
 * test/system/multihost, where the drain took from 0.6 to 4.5 s to arrive, by push/pull luck.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { after, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { throughProxy } from '../helpers/through-proxy.js';

type StateDoc = { Servers: Record<string, { Services: Record<string, { ID: string; Status: number }> } | undefined> };

async function services(api: string, host: string): Promise<Array<{ ID: string; Status: number }>> {
  const doc = (await (await fetch(`${api}/api/state.json`)).json()) as StateDoc;
  return Object.values(doc.Servers[host]?.Services ?? {});
}

const agents: AgentProcess[] = [];
after(() => {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
});

it('a drained instance is DRAINING on the other agent within 3 s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-drain-'));
  const file = join(dir, 'a.json');
  writeFileSync(file, JSON.stringify([{ Service: { Name: 'svc-a', Image: 'img:1', Ports: [{ Type: 'tcp', Port: 20000, ServicePort: 20000 }] }, Check: { Type: 'AlwaysSuccessful' } }]));
  const empty = join(dir, 'b.json');
  writeFileSync(empty, '[]');
  const [seed, other] = [await freePort(), await freePort()];
  const env = { SIDECAR_PUSH_PULL_INTERVAL: '60s' };
  const common = ['--discover', 'static', '--http-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy', '--cluster-ip', `127.0.0.1:${seed}`];
  const a = startAgent(['--hostname', 'a', '--static-config', file, '--bind-port', String(seed), ...common], env);
  const b = startAgent(['--hostname', 'b', '--static-config', empty, '--bind-port', String(other), ...common], env);
  agents.push(a, b);
  const [apiA, apiB] = [await a.apiUrl(), await b.apiUrl()];
  const svc = await eventually(
    async () => {
      const found = (await services(apiB, 'a'))[0];
      assert.equal(found?.Status, 0, 'svc-a ALIVE on b');
      return found;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const id = svc?.ID ?? '';
  const res = await fetch(`${apiA}/api/services/${id}/drain`, { method: 'POST' });
  assert.equal(res.status, 202);
  const drainedAt = Date.now();
  await eventually(async () => assert.equal((await services(apiB, 'a')).find((s) => s.ID === id)?.Status, 4), { timeoutMs: 3000, intervalMs: 50 });
  process.stdout.write(`# drain seen on the other agent after ${Date.now() - drainedAt} ms\n`);
});

it('drain then undrain reaches the other agent and its load balancer (UNKNOWN first, then ALIVE)', async (t) => {
  const backend = createServer((s) => s.end('hello from a'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  t.after(() => backend.close());
  const backendPort = (backend.address() as { port: number }).port;
  const servicePort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-undrain-'));
  const file = join(dir, 'a.json');
  writeFileSync(
    file,
    JSON.stringify([
      { Service: { Name: 'svc-a', Image: 'img:1', ProxyMode: 'tcp', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: servicePort }] }, Check: { Type: 'AlwaysSuccessful' } },
    ]),
  );
  const empty = join(dir, 'b.json');
  writeFileSync(empty, '[]');
  const [seed, other] = [await freePort(), await freePort()];
  const env = { SIDECAR_PUSH_PULL_INTERVAL: '60s' };
  const common = ['--discover', 'static', '--http-port', '0', '--advertise-ip', '127.0.0.1', '--proxy-slow-start', '0', '--cluster-ip', `127.0.0.1:${seed}`];
  // Each agent's load balancer on its own loopback address (the well-known IP is not on this host).
  const a = startAgent(['--hostname', 'a', '--static-config', file, '--bind-port', String(seed), '--proxy-bind-ip', '127.0.0.2', ...common], env);
  const b = startAgent(['--hostname', 'b', '--static-config', empty, '--bind-port', String(other), '--proxy-bind-ip', '127.0.0.3', ...common], env);
  agents.push(a, b);
  const [apiA, apiB] = [await a.apiUrl(), await b.apiUrl()];
  const statusOnB = async (): Promise<number | undefined> => (await services(apiB, 'a'))[0]?.Status;
  await eventually(async () => assert.equal(await statusOnB(), 0), { timeoutMs: 10_000, intervalMs: 50 });
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), 'hello from a'), { timeoutMs: 5000, intervalMs: 100 });
  const id = (await services(apiA, 'a'))[0]?.ID ?? '';

  assert.equal((await fetch(`${apiA}/api/services/${id}/drain`, { method: 'POST' })).status, 202);
  await eventually(async () => assert.equal(await statusOnB(), 4), { timeoutMs: 3000, intervalMs: 50 });
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), ''), { timeoutMs: 3000, intervalMs: 100 });

  const undrain = await fetch(`${apiA}/api/services/${id}/undrain`, { method: 'POST' });
  assert.equal(undrain.status, 202);
  const undrainedAt = Date.now();
  const seenOnB: number[] = [];
  await eventually(
    async () => {
      const status = await statusOnB();
      if (status !== undefined && seenOnB.at(-1) !== status) seenOnB.push(status);
      assert.notEqual(status, 4);
    },
    { timeoutMs: 4000, intervalMs: 20 },
  );
  const leftDrainingMs = Date.now() - undrainedAt;
  await eventually(
    async () => {
      const status = await statusOnB();
      if (status !== undefined && seenOnB.at(-1) !== status) seenOnB.push(status);
      assert.equal(status, 0);
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const aliveMs = Date.now() - undrainedAt;
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), 'hello from a'), { timeoutMs: 5000, intervalMs: 100 });
  const routedMs = Date.now() - undrainedAt;
  assert.deepEqual(seenOnB[0] === 4 ? seenOnB.slice(1) : seenOnB, [3, 0], 'b saw UNKNOWN, then ALIVE (never DRAINING again)');
  assert.equal((await services(apiA, 'a'))[0]?.Status, 0);
  t.diagnostic(`undrain: b left DRAINING after ${leftDrainingMs} ms, ALIVE after ${aliveMs} ms, routed through b's load balancer after ${routedMs} ms`);

  // The host-wide switch travels the same way.
  assert.equal((await fetch(`${apiA}/api/maintenance/on`, { method: 'POST' })).status, 202);
  assert.deepEqual(await (await fetch(`${apiA}/api/maintenance.json`)).json(), { Maintenance: true });
  await eventually(async () => assert.equal(await statusOnB(), 4), { timeoutMs: 3000, intervalMs: 50 });
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), ''), { timeoutMs: 3000, intervalMs: 100 });
  assert.equal((await fetch(`${apiA}/api/services/${id}/undrain`, { method: 'POST' })).status, 409, 'no undrain during maintenance');
  assert.equal((await fetch(`${apiA}/api/maintenance/off`, { method: 'POST' })).status, 202);
  await eventually(async () => assert.equal(await statusOnB(), 0), { timeoutMs: 10_000, intervalMs: 50 });
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), 'hello from a'), { timeoutMs: 5000, intervalMs: 100 });
});
