import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { LAN_VIP, makeNetnsLan, type NetnsLan } from './netns-lan.js';

// What the fast path's system tests share: the agent on h1 of a netns LAN, backends on the
// other hosts (name-server.mjs), clients on h1 (tcp-probe.mjs) and the API asked from h1.

export const NODE = resolve('bin/node24');
export const NAME_SERVER = resolve('test/system/fastpath/name-server.mjs');
export const PROBE = resolve('test/system/fastpath/tcp-probe.mjs');
export const SERVICE_PORT = 10500;
export const BACKEND_PORT = 9000;

/** Starts the name server (`h<k>` for each connection) on host `k`; resolves once it listens. */
export async function startBackend(lan: NetnsLan, k: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', lan.host(k), NODE, NAME_SERVER, `h${k}`, String(BACKEND_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  assert.equal(line, 'listening');
  return child;
}

/** What a fast-path test file sets up: a LAN of three hosts, a temporary folder, a backend on h2 and on h3, and the agent it starts. */
export interface FastpathSetup {
  lan: NetnsLan;
  dir: string;
  readonly children: ChildProcess[];
  agent: AgentProcess | undefined;
}

/** Registers the file's `before` and `after` hooks for a {@link FastpathSetup}; `tag` names its namespaces (`<tag><pid>`). Everything is gone after the file's tests. */
export function useFastpathLan(tag: string, skip: string | undefined): FastpathSetup {
  // `lan` and `dir` are set by before(), which runs first whenever a test does.
  const setup = { children: [], agent: undefined } as unknown as FastpathSetup;
  before(async () => {
    if (skip !== undefined) return;
    setup.lan = makeNetnsLan(`${tag}${process.pid}`, 3);
    setup.dir = mkdtempSync(join(tmpdir(), `sidecar-${tag}-`));
    for (const k of [2, 3]) setup.children.push(await startBackend(setup.lan, k));
  });
  after(async () => {
    await kill(setup.agent?.child);
    for (const child of setup.children) await kill(child);
    (setup.lan as NetnsLan | undefined)?.close();
    if ((setup.dir as string | undefined) !== undefined) rmSync(setup.dir, { recursive: true, force: true });
  });
  return setup;
}

/** SIGKILLs a child (if it still runs) and waits for its exit. */
export async function kill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/**
 * The static file: one tcp-mode service `echo` with an instance on each of `hosts`. `check`
 * `tcp`: each instance's health is a Tcp connect to itself (a killed one turns sick at the next
 * check); `always`: AlwaysSuccessful. Written aside and renamed over: the watcher never reads half a file.
 */
export function writeStatic(lan: NetnsLan, file: string, hosts: readonly number[], check: 'always' | 'tcp' = 'always'): void {
  const targets = hosts.map((k) => ({
    Service: { Name: 'echo', Image: 'echo:1', ProxyMode: 'tcp', Ports: [{ Type: 'tcp', Port: BACKEND_PORT, ServicePort: SERVICE_PORT, IP: lan.ip(k) }] },
    Check: check === 'tcp' ? { Type: 'Tcp', Args: `${lan.ip(k)}:${BACKEND_PORT}` } : { Type: 'AlwaysSuccessful', Args: '' },
  }));
  writeFileSync(`${file}.tmp`, JSON.stringify(targets));
  renameSync(`${file}.tmp`, file);
}

/** The agent on h1 with the fast path on, fed by `file`; `wrap` runs it under another command (setpriv). */
export function startFastpathAgent(lan: NetnsLan, file: string, wrap: readonly string[] = []): AgentProcess {
  const args = [
    '--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '7946',
    '--advertise-ip', lan.ip(1), '--proxy-bind-ip', LAN_VIP, '--proxy-tcp-fastpath', 'nftables', '--proxy-workers', '0',
  ];
  return startAgent(args, {}, { netns: lan.host(1), ...(wrap.length === 0 ? {} : { wrap }) });
}

/** The agent's log records whose message matches `pattern`. */
export function logsMatching(agent: AgentProcess, pattern: RegExp): Array<Record<string, unknown>> {
  return agent.logs.filter((l) => pattern.test(String(l['msg'])));
}

export function rules(lan: NetnsLan): string {
  return lan.exec(1, ['nft', 'list', 'ruleset']);
}

/** The new-connection counters of the endpoints (the set `endpoints`: `<ServicePort> . <IP> . <port> counter packets N …`), in endpoint order. */
export function connectionCounters(lan: NetnsLan): number[] {
  const counted = [...rules(lan).matchAll(/(\d+ \. [\d.]+ \. \d+) counter packets (\d+) bytes \d+/g)];
  return counted.sort((a, b) => (a[1] ?? '').localeCompare(b[1] ?? '')).map((m) => Number(m[2]));
}

/** COUNT connections from h1 to the VIP, one after another: the first line each got. */
export function probe(lan: NetnsLan, count: number): string[] {
  return JSON.parse(lan.exec(1, [NODE, PROBE, LAN_VIP, String(SERVICE_PORT), String(count)])) as string[];
}

/** `count` names alternate (round robin over two) and are split evenly between `a` and `b`. */
export function assertRoundRobin(names: readonly string[], a: string, b: string): void {
  const half = names.length / 2;
  assert.deepEqual([...names].sort(), [...Array<string>(half).fill(a), ...Array<string>(half).fill(b)], JSON.stringify(names));
  for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], JSON.stringify(names));
}

/** GET `<api><path>` from h1 (where the API listens), parsed as JSON. */
export function apiGet<T>(lan: NetnsLan, api: string, path: string): T {
  const script = `fetch(${JSON.stringify(`${api}${path}`)}).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  return JSON.parse(lan.exec(1, [NODE, '-e', script])) as T;
}

/** One connection from h1 to the VIP, held open: `name` is who answered, `echo` sends a line and reads it back. */
export interface HeldConnection {
  readonly name: string;
  echo(line: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function holdConnection(lan: NetnsLan, children: ChildProcess[]): Promise<HeldConnection> {
  const held = spawn('ip', ['netns', 'exec', lan.host(1), NODE, PROBE, LAN_VIP, String(SERVICE_PORT), 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(held);
  const lines = createInterface({ input: held.stdout! })[Symbol.asyncIterator]();
  const name = (await lines.next()).value as string;
  return {
    name,
    echo: async (line) => {
      held.stdin!.write(`${line}\n`);
      return (await lines.next()).value as string | undefined;
    },
    close: async () => {
      if (held.exitCode !== null || held.signalCode !== null) return;
      const exited = once(held, 'exit');
      held.stdin!.end();
      await exited;
    },
  };
}
