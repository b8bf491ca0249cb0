import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SIDECAR_BIN } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';
import { netnsSkipReason } from '../../helpers/netns.js';
import {
  apiGet, assertRoundRobin, connectionCounters, holdConnection, logsMatching, NODE, PROBE, probe, rules, SERVICE_PORT,
  startFastpathAgent, useFastpathLan, writeStatic,
} from './fastpath-lan.js';
import { LAN_VIP } from './netns-lan.js';

// Hosts are network namespaces on a LAN of their own (nothing in the machine's namespace): the
// agent runs on h1 with `--proxy-tcp-fastpath nftables`; a tcp-mode service has an instance on
// h2 and one on h3; clients on h1 and in a container of h1 connect to 192.168.168.168:<ServicePort>.
const skip = netnsSkipReason();

const fx = useFastpathLan('scfp', skip);

interface FastpathDoc {
  fastpath?: {
    state: string;
    ports: number[];
    applies: number;
    failures: number;
    rules?: Array<{ servicePort: number; serviceName?: string; endpoints: Array<{ key?: string; ip: string; port: number; connections: number }> }>;
  };
}

/** `sidecar fastpath show` run on h1 against the agent's API: its stdout. */
function fastpathShow(api: string): string {
  return execFileSync('ip', ['netns', 'exec', fx.lan.host(1), SIDECAR_BIN, 'fastpath', 'show', '--api', api], { encoding: 'utf8' });
}

test('TCP service on h2 and h3 reached from h1 (a process and a container) through the kernel, round robin, counted per endpoint; drain; SIGTERM removes the table; a leftover table is replaced', { skip, timeout: 60_000 }, async () => {
  // A table left by a crashed agent, with a rule the new agent must not keep.
  fx.lan.exec(1, ['nft', '-f', '-'], 'table ip sidecar {\n  chain leftover_from_crash {\n  }\n}\n');
  const file = join(fx.dir, 'static.json');
  writeStatic(fx.lan, file, [2, 3]);
  fx.agent = startFastpathAgent(fx.lan, file);
  const a = fx.agent;
  await eventually(() => {
    if (a.child.exitCode !== null) throw new Error(`agent exited: ${a.stderr()}`);
    const now = rules(fx.lan);
    assert.match(now, /10\.78\.0\.2 \. 9000/);
    assert.match(now, /10\.78\.0\.3 \. 9000/);
    assert.doesNotMatch(now, /leftover_from_crash/);
  }, { timeoutMs: 20_000 });
  // The agent's log lines arrive through a pipe, maybe after the rules: waited for, not assumed.
  await eventually(() => assert.equal(logsMatching(a, /left by an earlier agent/).length, 1, 'the leftover table is reported'));
  // /api/proxy.json (asked from h1, where the API listens) shows the fast path's view.
  const api = await a.apiUrl();
  const status = apiGet<FastpathDoc>(fx.lan, api, '/api/proxy.json');
  assert.equal(status.fastpath?.state, 'on');
  assert.deepEqual(status.fastpath?.ports, [SERVICE_PORT]);
  assert.equal(status.fastpath?.failures, 0);

  // Round robin: consecutive connections alternate between the two hosts.
  assertRoundRobin(probe(fx.lan, 6), 'h2', 'h3');
  // The kernel chose them (the Node balancer behind would alternate too): each endpoint counted 3 new connections.
  assert.deepEqual(connectionCounters(fx.lan), [3, 3]);
  // From a container of h1 (prerouting, then masquerade out of h1's eth0): the same rotation, continued.
  const fromContainer = JSON.parse(fx.lan.execInContainer([NODE, PROBE, LAN_VIP, String(SERVICE_PORT), '4'])) as string[];
  assertRoundRobin(fromContainer, 'h2', 'h3');
  assert.deepEqual(connectionCounters(fx.lan), [5, 5]);

  // /api/proxy.json's per-endpoint counters agree with the kernel's (read at most once a second: waited for).
  await eventually(() => {
    const [port, ...others] = apiGet<FastpathDoc>(fx.lan, api, '/api/proxy.json').fastpath?.rules ?? [];
    assert.deepEqual(others, []);
    assert.equal(port?.servicePort, SERVICE_PORT);
    assert.equal(port?.serviceName, 'echo');
    const endpoints = port?.endpoints.map((e) => [e.ip, e.port, e.connections]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    assert.deepEqual(endpoints, [['10.78.0.2', 9000, 5], ['10.78.0.3', 9000, 5]]);
    for (const e of port?.endpoints ?? []) assert.match(e.key ?? '', /^h1-/, 'the endpoint keys come from the routes (the static file\'s records are h1\'s)');
  }, { timeoutMs: 5_000, intervalMs: 200 });
  // And `sidecar fastpath show` prints them.
  const shown = fastpathShow(api);
  assert.match(shown, /^fast path: on;/);
  assert.match(shown, /^10500 +echo +h1-/m);
  assert.match(shown, /^(10500 +echo)? +h1-\S+ +10\.78\.0\.2:9000 +5$/m);
  assert.match(shown, /^(10500 +echo)? +h1-\S+ +10\.78\.0\.3:9000 +5$/m);

  // Drain: an established connection to the endpoint that leaves keeps working; new ones go to the other.
  const held = await holdConnection(fx.lan, fx.children);
  assert.match(held.name, /^h[23]$/);
  const stays = held.name === 'h2' ? 3 : 2;
  writeStatic(fx.lan, file, [stays]);
  await eventually(() => assert.doesNotMatch(rules(fx.lan), new RegExp(`10\\.78\\.0\\.${stays === 2 ? 3 : 2} \\. `)), { timeoutMs: 20_000 });
  assert.deepEqual(probe(fx.lan, 4), Array(4).fill(`h${stays}`));
  assert.equal(await held.echo('still here'), 'still here');
  await held.close();

  // SIGTERM: the table goes with the agent.
  assert.equal(await a.stop(), 0);
  assert.doesNotMatch(fx.lan.exec(1, ['nft', 'list', 'tables']), /sidecar/);
  await eventually(() => assert.ok(logsMatching(a, /table removed/).length > 0, 'the removal is reported'));
});
