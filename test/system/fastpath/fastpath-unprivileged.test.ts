import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentProcess } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';
import { netnsSkipReason } from '../../helpers/netns.js';
import { apiGet, assertRoundRobin, kill, logsMatching, probe, SERVICE_PORT, startBackend, startFastpathAgent, writeStatic } from './fastpath-lan.js';
import { makeNetnsLan, type NetnsLan } from './netns-lan.js';

// The agent on h1 asked for the fast path but started without CAP_NET_ADMIN (dropped from its
// bounding and inheritable sets, so exec gives it back to no one): it must say why once, show
// it in /api/proxy.json, make no table, and serve the tcp service with the Node balancer.
const skip = netnsSkipReason();
const WITHOUT_NET_ADMIN = ['setpriv', '--bounding-set', '-net_admin', '--inh-caps', '-net_admin'];

let lan: NetnsLan;
let dir: string;
const children: ChildProcess[] = [];
let agent: AgentProcess | undefined;

before(async () => {
  if (skip !== undefined) return;
  lan = makeNetnsLan(`scfu${process.pid}`, 3);
  dir = mkdtempSync(join(tmpdir(), 'sidecar-fastpath-unpriv-'));
  for (const k of [2, 3]) children.push(await startBackend(lan, k));
});

after(async () => {
  await kill(agent?.child);
  for (const child of children) await kill(child);
  lan?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface FastpathDoc {
  fastpath?: { state: string; reason?: string; ports: number[] };
  routes?: Array<{ servicePort: number }>;
}

test('without CAP_NET_ADMIN the agent falls back to the Node balancer and says why, once', { skip, timeout: 60_000 }, async () => {
  const file = join(dir, 'static.json');
  writeStatic(lan, file, [2, 3]);
  agent = startFastpathAgent(lan, file, WITHOUT_NET_ADMIN);
  const a = agent;
  const unavailable = (): Array<Record<string, unknown>> => a.logs.filter((l) => l['code'] === 'SC_ERR_FASTPATH_UNAVAILABLE');
  await eventually(() => assert.equal(unavailable().length, 1), { timeoutMs: 20_000 });
  const [line] = unavailable();
  assert.match(String(line?.['msg']), /nftables fast path unavailable: the agent lacks CAP_NET_ADMIN .*the Node balancer serves TCP ports/);
  assert.match(String(line?.['reason']), /CAP_NET_ADMIN/);

  // The Node balancer serves the port round robin, and the kernel has no table of ours.
  const api = await a.apiUrl();
  await eventually(() => assert.ok(apiGet<FastpathDoc>(lan, api, '/api/proxy.json').routes?.some((r) => r.servicePort === SERVICE_PORT)), { timeoutMs: 20_000 });
  assertRoundRobin(probe(lan, 6), 'h2', 'h3');
  assert.doesNotMatch(lan.exec(1, ['nft', 'list', 'tables']), /sidecar/);
  const doc = apiGet<FastpathDoc>(lan, api, '/api/proxy.json');
  assert.equal(doc.fastpath?.state, 'off');
  assert.match(doc.fastpath?.reason ?? '', /CAP_NET_ADMIN/);
  assert.deepEqual(doc.fastpath?.ports, []);

  // Said once: later catalog changes do not repeat it.
  writeStatic(lan, file, [2]);
  await eventually(() => assert.deepEqual(probe(lan, 2), ['h2', 'h2']), { timeoutMs: 20_000 });
  assert.equal(unavailable().length, 1);
  assert.equal(logsMatching(a, /fast path on/).length, 0);
  assert.equal(await a.stop(), 0);
});
