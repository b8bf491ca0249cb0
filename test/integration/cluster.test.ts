/**
 * Several agents on loopback form one cluster: services replicate, a SIGKILLed agent's
 * services are tombstoned and come back when it restarts, SIGTERM leaves at once, and an agent
 * of another cluster is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { stablePort } from '../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';

type StateDoc = { Servers: Record<string, { Services: Record<string, { ID: string; Name: string; Status: number }> }> };
type MembersDoc = Record<string, { State: string }>;

const dir = mkdtempSync(join(tmpdir(), 'sidecar-cluster-'));
function staticFile(host: string): string {
  const file = join(dir, `${host}.json`);
  writeFileSync(file, JSON.stringify([{ Service: { Name: `svc-${host}`, Image: 'img:1', Ports: [{ Type: 'tcp', Port: 20000, ServicePort: 20000 }] }, Check: { Type: 'AlwaysSuccessful' } }]));
  return file;
}

interface Node {
  readonly host: string;
  readonly gossipPort: number;
  agent: AgentProcess;
  api: string;
}

const agents: AgentProcess[] = [];
after(async () => {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
});

async function start(host: string, gossipPort: number, seedPort: number, extra: string[] = []): Promise<Node> {
  const agent = startAgent([
    '--hostname', host, '--discover', 'static', '--static-config', staticFile(host), '--http-port', '0', '--bind-port', String(gossipPort),
    '--advertise-ip', '127.0.0.1', '--no-proxy', '--cluster-ip', `127.0.0.1:${seedPort}`, ...extra,
  ]);
  agents.push(agent);
  return { host, gossipPort, agent, api: await agent.apiUrl() };
}

/**
 * The status of `host`'s service as `node` sees it: ALIVE (0) if any record is, else the first
 * record's (static IDs are new in each process, so a restarted agent adds a record).
 */
async function statusOn(node: Node, host: string): Promise<number | undefined> {
  const state = (await (await fetch(`${node.api}/api/state.json`)).json()) as StateDoc;
  const statuses = Object.values(state.Servers[host]?.Services ?? {}).map((s) => s.Status);
  return statuses.includes(0) ? 0 : statuses[0];
}

async function members(node: Node): Promise<MembersDoc> {
  return (await (await fetch(`${node.api}/api/members.json`)).json()) as MembersDoc;
}

describe('a cluster of agents on loopback', () => {
  it('replicates, expires a killed agent, takes it back, lets one leave and refuses another cluster', async () => {
    // Below the ephemeral range: h3 is restarted on its port after a SIGKILL.
    const ports = [await stablePort(), await stablePort(), await stablePort(), await stablePort()];
    const seed = ports[0] as number;
    const nodes = [await start('h1', seed, seed), await start('h2', ports[1] as number, seed), await start('h3', ports[2] as number, seed)];

    // Every service ALIVE on every agent within 2 s of the last start.
    const started = Date.now();
    await eventually(
      async () => {
        for (const viewer of nodes) for (const n of nodes) assert.equal(await statusOn(viewer, n.host), 0, `svc-${n.host} on ${viewer.host}`);
      },
      { timeoutMs: 2000, intervalMs: 50 },
    );
    const convergedMs = Date.now() - started;

    // SIGKILL h3: the others tombstone its service after SWIM declares it dead.
    const h3 = nodes[2] as Node;
    h3.agent.child.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(
      async () => {
        for (const viewer of nodes.slice(0, 2)) assert.equal(await statusOn(viewer, 'h3'), 1, `svc-h3 tombstoned on ${viewer.host}`);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const removedMs = Date.now() - killedAt;

    // Restarted on the same name and port, it comes back.
    const back = await start('h3', h3.gossipPort, seed);
    await eventually(
      async () => {
        for (const viewer of nodes.slice(0, 2)) assert.equal(await statusOn(viewer, 'h3'), 0, `svc-h3 back on ${viewer.host}`);
        assert.equal(await statusOn(back, 'h1'), 0);
      },
      { timeoutMs: 5000, intervalMs: 50 },
    );

    // SIGTERM h2: it leaves gracefully and is gone from the others within 2 s.
    const h2 = nodes[1] as Node;
    const stopping = h2.agent.stop();
    const stoppedAt = Date.now();
    await eventually(
      async () => {
        for (const viewer of [nodes[0] as Node, back]) assert.equal((await members(viewer))['h2']?.State, 'left', `h2 left on ${viewer.host}`);
      },
      { timeoutMs: 2000, intervalMs: 50 },
    );
    const leftMs = Date.now() - stoppedAt;
    assert.equal(await stopping, 0);

    // Another cluster name: refused, and it says so.
    const other = await start('x1', ports[3] as number, seed, ['--cluster-name', 'other']);
    await eventually(() => assert.ok(other.agent.logs.some((l) => String(l['msg']).includes('could not join any seed'))), { timeoutMs: 5000 });
    assert.equal((await members(nodes[0] as Node))['x1'], undefined);
    assert.equal(await statusOn(nodes[0] as Node, 'x1'), undefined);

    process.stdout.write(`# cluster timings: converged ${convergedMs} ms after start, killed agent removed in ${removedMs} ms, SIGTERM left in ${leftMs} ms\n`);
  });
});
