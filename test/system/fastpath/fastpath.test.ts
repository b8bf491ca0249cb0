import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';
import { netnsSkipReason } from '../../helpers/netns.js';
import { LAN_VIP, makeNetnsLan, type NetnsLan } from './netns-lan.js';

// Hosts are network namespaces on a LAN of their own (nothing in the machine's namespace): the
// agent runs on h1 with `--proxy-tcp-fastpath nftables`; a tcp-mode service has an instance on
// h2 and one on h3; clients on h1 and in a container of h1 connect to 192.168.168.168:<ServicePort>.
const skip = netnsSkipReason();
const NODE = resolve('bin/node24');
const NAME_SERVER = resolve('test/system/fastpath/name-server.mjs');
const PROBE = resolve('test/system/fastpath/tcp-probe.mjs');
const SERVICE_PORT = 10500;
const BACKEND_PORT = 9000;

let lan: NetnsLan;
let dir: string;
const children: ChildProcess[] = [];
let agent: AgentProcess | undefined;

before(async () => {
  if (skip !== undefined) return;
  lan = makeNetnsLan(`scfp${process.pid}`, 3);
  dir = mkdtempSync(join(tmpdir(), 'sidecar-fastpath-'));
  for (const k of [2, 3]) {
    const child = spawn('ip', ['netns', 'exec', lan.host(k), NODE, NAME_SERVER, `h${k}`, String(BACKEND_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, 'line')) as [string];
    assert.equal(line, 'listening');
  }
});

after(async () => {
  if (agent !== undefined) {
    agent.child.kill('SIGKILL');
    if (agent.child.exitCode === null && agent.child.signalCode === null) await once(agent.child, 'exit');
  }
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  lan?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The static file: one tcp-mode service `echo` with an instance on each of `hosts`. */
function writeStatic(file: string, hosts: readonly number[]): void {
  const targets = hosts.map((k) => ({
    Service: { Name: 'echo', Image: 'echo:1', ProxyMode: 'tcp', Ports: [{ Type: 'tcp', Port: BACKEND_PORT, ServicePort: SERVICE_PORT, IP: lan.ip(k) }] },
    Check: { Type: 'AlwaysSuccessful', Args: '' },
  }));
  // Written aside and renamed over: the watcher never reads half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(targets));
  renameSync(`${file}.tmp`, file);
}

function rules(): string {
  return lan.exec(1, ['nft', 'list', 'ruleset']);
}

/** The new-connection counters of the endpoints (the set `endpoints`: `<ServicePort> . <IP> . <port> counter packets N …`), by endpoint. */
function connectionCounters(): number[] {
  const counted = [...rules().matchAll(/(\d+ \. [\d.]+ \. \d+) counter packets (\d+) bytes \d+/g)];
  return counted.sort((a, b) => (a[1] ?? '').localeCompare(b[1] ?? '')).map((m) => Number(m[2]));
}

/** COUNT connections from h1 to the VIP, one after another: the first line each got. */
function probe(count: number): string[] {
  return JSON.parse(lan.exec(1, [NODE, PROBE, LAN_VIP, String(SERVICE_PORT), String(count)])) as string[];
}

test('TCP service on h2 and h3 reached from h1 (a process and a container) through the kernel, round robin; drain; SIGTERM removes the table; a leftover table is replaced', { skip, timeout: 60_000 }, async () => {
  // A table left by a crashed agent, with a rule the new agent must not keep.
  lan.exec(1, ['nft', '-f', '-'], 'table ip sidecar {\n  chain leftover_from_crash {\n  }\n}\n');
  const file = join(dir, 'static.json');
  writeStatic(file, [2, 3]);
  agent = startAgent(
    [
      '--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '7946',
      '--advertise-ip', lan.ip(1), '--proxy-bind-ip', LAN_VIP, '--proxy-tcp-fastpath', 'nftables', '--proxy-workers', '0',
    ],
    {},
    { netns: lan.host(1) },
  );
  await eventually(() => {
    if (agent?.child.exitCode !== null) throw new Error(`agent exited: ${agent?.stderr()}`);
    const now = rules();
    assert.match(now, /10\.78\.0\.2 \. 9000/);
    assert.match(now, /10\.78\.0\.3 \. 9000/);
    assert.doesNotMatch(now, /leftover_from_crash/);
  }, { timeoutMs: 20_000 });
  // The agent's log lines arrive through a pipe, maybe after the rules: waited for, not assumed.
  await eventually(() => assert.ok(agent?.logs.some((l) => /left by an earlier agent/.test(String(l['msg']))), 'the leftover table is reported'));
  // /api/proxy.json (asked from h1, where the API listens) shows the fast path's view.
  const api = await agent.apiUrl();
  const fetchScript = `fetch(${JSON.stringify(`${api}/api/proxy.json`)}).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  const status = JSON.parse(lan.exec(1, [NODE, '-e', fetchScript])) as { fastpath?: { state: string; ports: number[]; applies: number; failures: number } };
  assert.equal(status.fastpath?.state, 'on');
  assert.deepEqual(status.fastpath?.ports, [SERVICE_PORT]);
  assert.equal(status.fastpath?.failures, 0);

  // Round robin: consecutive connections alternate between the two hosts.
  const names = probe(6);
  assert.deepEqual([...names].sort(), ['h2', 'h2', 'h2', 'h3', 'h3', 'h3'], JSON.stringify(names));
  for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], JSON.stringify(names));
  // The kernel chose them (the Node balancer behind would alternate too): each endpoint counted 3 new connections.
  assert.deepEqual(connectionCounters(), [3, 3]);
  // From a container of h1 (prerouting, then masquerade out of h1's eth0): the same rotation, continued.
  const fromContainer = JSON.parse(lan.execInContainer([NODE, PROBE, LAN_VIP, String(SERVICE_PORT), '4'])) as string[];
  assert.deepEqual([...fromContainer].sort(), ['h2', 'h2', 'h3', 'h3'], JSON.stringify(fromContainer));
  assert.deepEqual(connectionCounters(), [5, 5]);

  // Drain: an established connection to the endpoint that leaves keeps working; new ones go to the other.
  const held = spawn('ip', ['netns', 'exec', lan.host(1), NODE, PROBE, LAN_VIP, String(SERVICE_PORT), 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(held);
  const heldLines = createInterface({ input: held.stdout! })[Symbol.asyncIterator]();
  const heldBy = (await heldLines.next()).value as string;
  assert.match(heldBy, /^h[23]$/);
  const stays = heldBy === 'h2' ? 3 : 2;
  writeStatic(file, [stays]);
  await eventually(() => assert.doesNotMatch(rules(), new RegExp(`10\\.78\\.0\\.${stays === 2 ? 3 : 2} \\. `)), { timeoutMs: 20_000 });
  assert.deepEqual(probe(4), Array(4).fill(`h${stays}`));
  held.stdin!.write('still here\n');
  assert.equal((await heldLines.next()).value, 'still here');
  held.stdin!.end();
  await once(held, 'exit');

  // SIGTERM: the table goes with the agent.
  assert.equal(await agent.stop(), 0);
  assert.doesNotMatch(lan.exec(1, ['nft', 'list', 'tables']), /sidecar/);
  await eventually(() => assert.ok(agent?.logs.some((l) => /table removed/.test(String(l['msg']))), 'the removal is reported'));
});
