// What the fast path's benchmark runs in its two hosts (run from measure.ts, inside h1): the
// backend nginx and the dead-endpoint test's endpoints in h2; the HAProxies and three agents in h1.
// The configurations are bench/proxy's (the same nginx and HAProxy files, readdressed), so the
// rows compare with bench/proxy's.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { HERE, RUN, start } from '../proxy/harness.js';
import { LAN_VIP } from '../../test/system/fastpath/netns-lan.js';

const PREFIX = process.env['FASTPATH_PREFIX'];
if (PREFIX === undefined) throw new Error('bench/fastpath/measure.ts runs inside h1 from bench/fastpath/run.ts (npm run bench:fastpath)');
export const H2 = `${PREFIX}-h2`;
/** h1's and h2's addresses on their LAN (netns-lan.ts). */
export const CLIENT_HOST_IP = '10.78.0.1';
export const BACKEND_IP = '10.78.0.2';
export const VIP = LAN_VIP;
export const LOAD_CPU = process.env['LOAD_CPU'] ?? '0';
export const PROXY_CPU = process.env['PROXY_CPU'] ?? '1';
const NODE = process.execPath;
const SIDECAR = resolve('bin/sidecar');

/** The load test's frontends in h1 (on the VIP). */
export const PORTS = { haproxy: 8082, haproxyNb2: 8182, fastpath: 10500, node: 10501, nodeW1: 10502 } as const;
/**
 * nginx's ports in h2, a pair per row (direct uses one): the same nginx, but no row reuses
 * another's TCP 4-tuples. With a new connection per request, ~100,000 connections a minute from
 * h1 to nginx reuse 4-tuples that nginx still holds in TIME_WAIT (60 s); nginx takes a SYN for
 * such a tuple only when its TCP timestamp is newer (PAWS), and timestamps of the fast path's
 * connections (the client's socket, to the VIP) run on another offset than those of
 * connections made from h1 to h2 itself. Sharing ports, h2 counted thousands of
 * TcpExtPAWSTimewait (SYNs refused), each a connect retried 1 s later: close50 through the
 * fast path fell to 0.65×, then 0.18× direct, and HAProxy's after it got a p99 of 0.8 s.
 */
export const BACKENDS = { direct: [9001], haproxy: [9011, 9012], node: [9021, 9022], nodeW1: [9031, 9032], fastpath: [9041, 9042], haproxyNb2: [9051, 9052] } as const;
const ALL_BACKEND_PORTS = Object.values(BACKENDS).flat();

/** One dead-endpoint target: a tcp service of two endpoints (processes of bench/fastpath/endpoint.mjs) behind one agent. */
export interface DeadService {
  readonly servicePort: number;
  /** The endpoints' service ports in h2; each answers its Tcp health check on port + 1000. The second is the one killed. */
  readonly endpointPorts: readonly [number, number];
}
export const DEAD = { fastpath: { servicePort: 10600, endpointPorts: [9101, 9102] }, node: { servicePort: 10601, endpointPorts: [9201, 9202] } } as const satisfies Record<string, DeadService>;
export const HEALTH_PORT_OFFSET = 1000;

/** Runs `argv` in h2 (from h1: namespaces are named system-wide). */
export function inH2(argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', H2, ...argv];
}

/** Resolves once host:port accepts a TCP connection (10 s at most). */
export async function waitTcp(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((done) => {
      const s = connect(port, host, () => {
        s.destroy();
        done(true);
      });
      s.on('error', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${host}:${port} did not come up (see ${RUN}/log)`);
}

/**
 * The backend nginx of bench/proxy, listening on h2's address (every port of BACKENDS): the
 * pinned part's, one worker pinned to LOAD_CPU (the default); the unpinned part's, one worker
 * per CPU and `cpu` null, as bench/proxy's scale part runs it.
 */
export async function startBackend(cpu: string | null = LOAD_CPU, workers = 1): Promise<ChildProcess> {
  const name = cpu === null ? 'backend-nginx-unpinned' : 'backend-nginx';
  const conf = join(RUN, `${name}.conf`);
  const listens = ALL_BACKEND_PORTS.map((p) => `listen 0.0.0.0:${p} backlog=4096;`).join('\n    ');
  const text = readFileSync(join(HERE, 'conf/backend-nginx.conf'), 'utf8')
    .replace(/listen 127\.0\.0\.1:\d+ backlog=4096;(\s*listen 127\.0\.0\.1:\d+ backlog=4096;)*/, listens)
    .replace('worker_processes 1;', `worker_processes ${workers};`)
    .replace('pid backend-nginx.pid;', `pid ${name}.pid;`);
  if (text.includes('listen 127.0.0.1') || !text.includes(`worker_processes ${workers};`) || !text.includes(`pid ${name}.pid;`)) {
    throw new Error(`bench/proxy/conf/backend-nginx.conf changed: ${conf} is not readdressed (listen, worker_processes, pid)`);
  }
  writeFileSync(conf, text);
  const child = start(name, cpu, inH2(['nginx', '-p', RUN, '-c', conf, '-e', 'stderr']));
  await Promise.all(ALL_BACKEND_PORTS.map((p) => waitTcp(BACKEND_IP, p)));
  return child;
}

/** One HAProxy of the bench: `name` for its log, pinned to `cpu` (null: unpinned), with `nbthread` threads, on VIP:`port` to nginx's `backends` in h2. */
export interface HaproxyRow {
  readonly name: string;
  readonly cpu: string | null;
  readonly nbthread: 1 | 2;
  readonly port: number;
  readonly backends: readonly [number, number];
}
/** bench/proxy's HAProxy in TCP mode (round robin; conf/haproxy-tcp.cfg, readdressed, `nbthread` set), on the VIP, to h2's nginx. */
export async function startHaproxy(row: HaproxyRow): Promise<ChildProcess> {
  const cfg = join(RUN, `${row.name}.cfg`);
  const text = readFileSync(join(HERE, 'conf/haproxy-tcp.cfg'), 'utf8')
    .replace('nbthread 1', `nbthread ${row.nbthread}`)
    .replace(`bind 127.0.0.1:${PORTS.haproxy}`, `bind ${VIP}:${row.port}`)
    .replace('127.0.0.1:9001', `${BACKEND_IP}:${row.backends[0]}`)
    .replace('127.0.0.1:9002', `${BACKEND_IP}:${row.backends[1]}`);
  if (text.includes('127.0.0.1') || !text.includes(`nbthread ${row.nbthread}`)) throw new Error(`bench/proxy/conf/haproxy-tcp.cfg changed: ${cfg} is not readdressed (bind, servers, nbthread)`);
  writeFileSync(cfg, text);
  const child = start(row.name, row.cpu, ['haproxy', '-db', '-f', cfg]);
  await waitTcp(VIP, row.port);
  return child;
}

/** The dead-endpoint test's endpoints (unpinned), by port. */
export async function startEndpoint(port: number): Promise<ChildProcess> {
  const child = start(`endpoint-${port}`, null, inH2([NODE, resolve('bench/fastpath/endpoint.mjs'), `e${port}`, String(port), String(port + HEALTH_PORT_OFFSET)]));
  await waitTcp(BACKEND_IP, port);
  return child;
}

interface Target {
  readonly servicePort: number;
  readonly port: number;
}
/** A static-discovery file: one tcp-mode service per ServicePort, one instance per endpoint, each with a Tcp check (on the health port for the dead-endpoint endpoints). */
function writeStatic(file: string, targets: readonly Target[]): void {
  const deadPorts = new Set<number>([...DEAD.fastpath.endpointPorts, ...DEAD.node.endpointPorts]);
  const entries = targets.map((t) => ({
    Service: { Name: `bench-${t.servicePort}`, Image: 'bench:1', ProxyMode: 'tcp', Ports: [{ Type: 'tcp', Port: t.port, ServicePort: t.servicePort, IP: BACKEND_IP }] },
    Check: { Type: 'Tcp', Args: `${BACKEND_IP}:${deadPorts.has(t.port) ? t.port + HEALTH_PORT_OFFSET : t.port}` },
  }));
  writeFileSync(`${file}.tmp`, JSON.stringify(entries));
  renameSync(`${file}.tmp`, file);
}

export interface Agent {
  readonly child: ChildProcess;
  /** Its API, on 127.0.0.1 of h1. */
  readonly api: string;
}
/**
 * One agent (bin/sidecar, static discovery) in h1 with its own ServicePorts, API and gossip
 * ports, the load balancer on the VIP. `cpu` pins it (and so its default worker count: the
 * CPUs it may run on); null leaves it on all of them.
 */
export function startAgent(name: string, index: number, cpu: string | null, targets: readonly Target[], flags: readonly string[]): Agent {
  const file = join(RUN, `static-${name}.json`);
  writeStatic(file, targets);
  const httpPort = 17770 + index;
  const argv = [SIDECAR, '--logging-level', 'warn', '--hostname', `h1-${name}`, '--discover', 'static', '--static-config', file];
  argv.push('--http-bind', '127.0.0.1', '--http-port', String(httpPort), '--bind-port', String(17950 + index), '--advertise-ip', CLIENT_HOST_IP, '--proxy-bind-ip', VIP, ...flags);
  return { child: start(`agent-${name}`, cpu, argv), api: `http://127.0.0.1:${httpPort}` };
}

/** The bench's three agents: the fast path; the Node balancer with its default workers (unpinned: one per CPU); with one worker (pinned like HAProxy). */
export function startAgents(): { fastpath: Agent; node: Agent; nodeW1: Agent } {
  const load = (servicePort: number, ports: readonly number[]): Target[] => ports.map((port) => ({ servicePort, port }));
  const dead = (d: DeadService): Target[] => d.endpointPorts.map((port) => ({ servicePort: d.servicePort, port }));
  return {
    fastpath: startAgent('fastpath', 0, null, [...load(PORTS.fastpath, BACKENDS.fastpath), ...dead(DEAD.fastpath)], ['--proxy-tcp-fastpath', 'nftables']),
    node: startAgent('node', 1, null, [...load(PORTS.node, BACKENDS.node), ...dead(DEAD.node)], []),
    nodeW1: startAgent('node-w1', 2, PROXY_CPU, load(PORTS.nodeW1, BACKENDS.nodeW1), ['--proxy-workers', '1']),
  };
}

/**
 * The endpoints (ip:port) the Node balancer of `agent` routes `servicePort` to, from
 * /api/proxy.json; with `fullShare`, only those past their slow start (`--proxy-slow-start`).
 */
export async function nodeRotation(agent: Agent, servicePort: number, fullShare = false): Promise<string[]> {
  const res = await fetch(`${agent.api}/api/proxy.json`);
  const status = (await res.json()) as { routes?: Array<{ servicePort: number; warming: string[]; endpoints: Array<{ key: string; ip: string; port: number }> }> };
  return (status.routes ?? [])
    .filter((r) => r.servicePort === servicePort)
    .flatMap((r) => r.endpoints.filter((e) => !fullShare || !r.warming.includes(e.key)).map((e) => `${e.ip}:${e.port}`));
}

/** The endpoints (ip:port) the fast path's rules DNAT to, from `nft list table ip sidecar` in h1 (this process's host). */
export function fastpathRules(): string[] {
  const out = spawnSync('nft', ['list', 'table', 'ip', 'sidecar'], { encoding: 'utf8' });
  // The map `backends`: `<ServicePort> . <slot> : <endpoint IP> . <endpoint port>` (src/proxy/fastpath/nft-ruleset.ts).
  return [...out.stdout.matchAll(/\d+ \. \d+ : ([\d.]+) \. (\d+)/g)].map((m) => `${m[1] ?? ''}:${m[2] ?? ''}`);
}

/** Resolves once `ready()` holds (polled every 100 ms), or throws after `timeoutMs` with `what`. */
export async function waitUntil(what: string, ready: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await ready()) return;
    } catch {
      // Not up yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (see ${RUN}/log)`);
}
