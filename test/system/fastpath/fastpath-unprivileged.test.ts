import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually.js';
import { netnsSkipReason } from '../../helpers/netns.js';
import { apiGet, assertRoundRobin, logsMatching, probe, SERVICE_PORT,  startFastpathAgent, useFastpathLan, writeStatic } from './fastpath-lan.js';

// The agent on h1 asked for the fast path but started without CAP_NET_ADMIN (dropped from its
// bounding and inheritable sets, so exec gives it back to no one): it must say why once, show
// it in /api/proxy.json, make no table, and serve the tcp service with the Node balancer.
const skip = netnsSkipReason();
const WITHOUT_NET_ADMIN = ['setpriv', '--bounding-set', '-net_admin', '--inh-caps', '-net_admin'];

const fx = useFastpathLan('scfu', skip);

interface FastpathDoc {
  fastpath?: { state: string; reason?: string; ports: number[] };
  routes?: Array<{ servicePort: number }>;
}

test('without CAP_NET_ADMIN the agent falls back to the Node balancer and says why, once', { skip, timeout: 60_000 }, async () => {
  const file = join(fx.dir, 'static.json');
  writeStatic(fx.lan, file, [2, 3]);
  fx.agent = startFastpathAgent(fx.lan, file, WITHOUT_NET_ADMIN);
  const a = fx.agent;
  const unavailable = (): Array<Record<string, unknown>> => a.logs.filter((l) => l['code'] === 'SC_ERR_FASTPATH_UNAVAILABLE');
  await eventually(() => assert.equal(unavailable().length, 1), { timeoutMs: 20_000 });
  const [line] = unavailable();
  assert.match(String(line?.['msg']), /nftables fast path unavailable: the agent lacks CAP_NET_ADMIN .*the Node balancer serves TCP ports/);
  assert.match(String(line?.['reason']), /CAP_NET_ADMIN/);

  // The Node balancer serves the port round robin, and the kernel has no table of ours.
  const api = await a.apiUrl();
  await eventually(() => assert.ok(apiGet<FastpathDoc>(fx.lan, api, '/api/proxy.json').routes?.some((r) => r.servicePort === SERVICE_PORT)), { timeoutMs: 20_000 });
  assertRoundRobin(probe(fx.lan, 6), 'h2', 'h3');
  assert.doesNotMatch(fx.lan.exec(1, ['nft', 'list', 'tables']), /sidecar/);
  const doc = apiGet<FastpathDoc>(fx.lan, api, '/api/proxy.json');
  assert.equal(doc.fastpath?.state, 'off');
  assert.match(doc.fastpath?.reason ?? '', /CAP_NET_ADMIN/);
  assert.deepEqual(doc.fastpath?.ports, []);

  // Said once: later catalog changes do not repeat it.
  writeStatic(fx.lan, file, [2]);
  await eventually(() => assert.deepEqual(probe(fx.lan, 2), ['h2', 'h2']), { timeoutMs: 20_000 });
  assert.equal(unavailable().length, 1);
  assert.equal(logsMatching(a, /fast path on/).length, 0);
  assert.equal(await a.stop(), 0);
});
