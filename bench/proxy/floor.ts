// Where a forwarded request's CPU and a worker's memory go, beside HAProxy and Node's own floor
// (issue #12's speed goals that are not met). Two parts, printed only:
// - CPU per request, split into user and system time (/proc/<pid>/stat over the run), pinned as
//   the proxy benchmark's core part: wrk -c50 keep-alive and nginx on LOAD_CPU, each proxy on
//   PROXY_CPU; HAProxy, ours with one worker thread, and node-pipe (accept, connect, pipe()).
// - Idle memory with 0, 1 and 2 workers: our balancer, and a process of the same Node and flags
//   that starts as many empty Worker threads (what any worker costs before it runs our code).
//
//   npm run bench:floor            # DUR=5 REPS=3: about 3 minutes; run under the bench lock
//
// Needs: haproxy, wrk, nginx, taskset. Every process is stopped on exit, error or SIGINT.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DUR, HERE, LB_FLAGS, LB_NODE, bundle, leastDisturbed, median, prepareRunDir, requireTools, say, start, startLb, stop, stopAll, versions, waitPort, wrk, RUN } from './harness.js';

const LOAD_CPU = process.env['LOAD_CPU'] ?? '0';
const PROXY_CPU = process.env['PROXY_CPU'] ?? '1';
const REPS = Number(process.env['REPS'] ?? 3);
/** How long a process is left alone before its idle memory is read: 3 s, as the scale part waits. */
const SETTLE_MS = 3000;
const TICK_US = 1e6 / 100; // /proc counts CPU in clock ticks of 10 ms (USER_HZ 100 on Linux)

interface Cpu {
  user: number;
  system: number;
}
function cpuTicks(pid: number): Cpu | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { user: Number(f[11]), system: Number(f[12]) };
  } catch {
    return null;
  }
}

interface Row {
  name: string;
  mode: string;
  rps: number;
  userUs: number;
  systemUs: number;
}

async function cpuPart(): Promise<Row[]> {
  const bundles = await bundle();
  start('backend-nginx', LOAD_CPU, ['nginx', '-p', RUN, '-c', join(HERE, 'conf/backend-nginx.conf'), '-e', 'stderr']);
  await waitPort(9001);
  const procs = [
    { name: 'HAProxy', mode: 'http', port: 8081, pid: start('haproxy-http', PROXY_CPU, ['haproxy', '-db', '-f', join(HERE, 'conf/haproxy-http.cfg')]).pid },
    { name: 'HAProxy', mode: 'tcp', port: 8082, pid: start('haproxy-tcp', PROXY_CPU, ['haproxy', '-db', '-f', join(HERE, 'conf/haproxy-tcp.cfg')]).pid },
    { name: 'ours, 1 worker', mode: 'http', port: 8095, pid: undefined as number | undefined },
    { name: 'ours, 1 worker', mode: 'tcp', port: 8094, pid: undefined as number | undefined },
    { name: 'node-pipe', mode: 'tcp', port: 8093, pid: start('node-pipe', PROXY_CPU, [LB_NODE, ...LB_FLAGS, bundles.pipe]).pid },
  ];
  const lb = startLb('sidecar-lb-w1', PROXY_CPU, bundles, 1, 8094, 8095).pid;
  for (const p of procs) if (p.name.startsWith('ours')) p.pid = lb;
  await Promise.all(procs.map((p) => waitPort(p.port)));
  for (const p of procs) await wrk(LOAD_CPU, ['-t1', '-c50', `http://127.0.0.1:${p.port}/`], undefined); // warm-up
  const samples = new Map<string, Row[]>();
  for (let rep = 1; rep <= REPS; rep++) {
    for (const p of procs) {
      if (p.pid === undefined) continue;
      const pid = p.pid;
      const r = await leastDisturbed(async () => {
        const before = cpuTicks(pid);
        const run = await wrk(LOAD_CPU, ['-t1', '-c50', `http://127.0.0.1:${p.port}/`], undefined);
        const after = cpuTicks(pid);
        if (run === null || before === null || after === null || run.rps === 0) return null;
        const requests = run.rps * DUR;
        return { ...run, userUs: ((after.user - before.user) * TICK_US) / requests, systemUs: ((after.system - before.system) * TICK_US) / requests };
      });
      if (r === null) continue;
      const key = `${p.name} ${p.mode}`;
      samples.set(key, [...(samples.get(key) ?? []), { name: p.name, mode: p.mode, rps: r.rps, userUs: r.userUs, systemUs: r.systemUs }]);
      say(`${key.padEnd(20)} ${Math.round(r.rps).toString().padStart(6)} req/s  user ${r.userUs.toFixed(2)} µs  system ${r.systemUs.toFixed(2)} µs per request`);
    }
  }
  await stopAll();
  return [...samples.values()].map((rows) => ({
    name: rows[0]?.name ?? '',
    mode: rows[0]?.mode ?? '',
    rps: median(rows.map((r) => r.rps)),
    userUs: median(rows.map((r) => r.userUs)),
    systemUs: median(rows.map((r) => r.systemUs)),
  }));
}

interface Memory {
  what: string;
  workers: number;
  rssKb: number;
  anonKb: number;
  fileKb: number;
}
function memoryOf(pid: number): { rssKb: number; anonKb: number; fileKb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), anonKb: kb('RssAnon'), fileKb: kb('RssFile') };
  } catch {
    return null;
  }
}

async function memoryPart(): Promise<Memory[]> {
  const bundles = await bundle();
  const out: Memory[] = [];
  const emptyWorkers = (n: number): string =>
    `const { Worker } = require('node:worker_threads'); for (let i = 0; i < ${n}; i++) new Worker('setInterval(() => {}, 1 << 30)', { eval: true }); setInterval(() => {}, 1 << 30);`;
  for (const workers of [0, 1, 2]) {
    for (const what of ['empty Worker threads', 'our balancer']) {
      const child = what === 'our balancer' ? startLb(`lb-idle-${workers}`, null, bundles, workers, 8094, 8095) : start(`empty-${workers}`, null, [LB_NODE, ...LB_FLAGS, '-e', emptyWorkers(workers)]);
      if (what === 'our balancer') await waitPort(8095);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const m = child.pid === undefined ? null : memoryOf(child.pid);
      await stop(child);
      if (m !== null) out.push({ what, workers, ...m });
    }
  }
  return out;
}

async function main(): Promise<void> {
  requireTools();
  prepareRunDir();
  const mib = (kb: number): string => (kb / 1024).toFixed(1);
  const rows = await cpuPart();
  const memory = await memoryPart();
  const lines = [`- ${versions()}`, `- DUR=${DUR}s REPS=${REPS} (medians), wrk -c50 keep-alive + nginx on cpu ${LOAD_CPU}, proxy on cpu ${PROXY_CPU}`, ''];
  lines.push('| proxy | mode | req/s | user µs per request | system µs per request | total | ÷ HAProxy per CPU-s |', '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ha = rows.find((h) => h.name === 'HAProxy' && h.mode === r.mode);
    const total = r.userUs + r.systemUs;
    const ratio = ha === undefined ? '–' : `${((ha.userUs + ha.systemUs) / total).toFixed(2)}×`;
    lines.push(`| ${r.name} | ${r.mode} | ${Math.round(r.rps)} | ${r.userUs.toFixed(2)} | ${r.systemUs.toFixed(2)} | ${total.toFixed(2)} | ${ratio} |`);
  }
  lines.push('', `Idle, ${SETTLE_MS / 1000} s after start (MiB):`, '', '| process | workers | RSS | anonymous | file-backed |', '|---|---|---|---|---|');
  for (const m of memory) lines.push(`| ${m.what} | ${m.workers} | ${mib(m.rssKb)} | ${mib(m.anonKb)} | ${mib(m.fileKb)} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
