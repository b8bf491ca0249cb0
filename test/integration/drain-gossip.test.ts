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
import { after, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';

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
