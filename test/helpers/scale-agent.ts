import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { startAgent, type AgentProcess } from './agent-process.js';

/**
 * A real agent with thousands of static services, and what it costs: used by
 * bench/catalog-scale.ts and test/system/hostile/catalog-scale.test.ts.
 */

/** `always`: AlwaysSuccessful checks; `http`: no check, so the default HttpGet on the first port. */
export type ScaleCheckKind = 'always' | 'http';

export const EVENT_LOOP_PROBE = resolve('test/helpers/event-loop-probe.mjs');

/** Writes a static.json of `count` targets (`svc-<i>`), each with one tcp port `backendPort`. */
export function writeScaleStaticFile(dir: string, count: number, kind: ScaleCheckKind, backendPort: number): string {
  const targets = Array.from({ length: count }, (_, i) => ({
    Service: { Name: `svc-${i}`, Image: 'scale:1', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: 0 }] },
    ...(kind === 'always' ? { Check: { Type: 'AlwaysSuccessful', Args: '' } } : {}),
  }));
  const file = join(dir, 'static.json');
  writeFileSync(file, JSON.stringify(targets));
  return file;
}

/** An HTTP backend on 127.0.0.1 answering 200 to everything; counts the requests. */
export async function startBackend(): Promise<{ server: Server; port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('ok');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    hits: () => hits,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Starts `bin/sidecar` on the static file with the event-loop probe writing to `probeFile`. */
export function startScaleAgent(file: string, probeFile: string, extraArgs: readonly string[] = []): AgentProcess {
  return startAgent(
    ['--hostname', 'scale', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy', ...extraArgs],
    { NODE_OPTIONS: `--import ${EVENT_LOOP_PROBE}`, EVENT_LOOP_PROBE_FILE: probeFile },
  );
}

/** User + system CPU time of a process (all its threads) in ms, from /proc/PID/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** Linux's USER_HZ: 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;

/** Resident set size of a process in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

export interface ProbeLine {
  readonly t: number;
  /** Worst stall in the second before `t`. */
  readonly maxMs: number;
  /** Stalls over 50 ms in that second. */
  readonly over50: number;
  /** Longest GC pause in that second. */
  readonly gcMaxMs: number;
}

/** The probe's lines written at or after `sinceMs`. */
export function readProbe(probeFile: string, sinceMs = 0): ProbeLine[] {
  let text = '';
  try {
    text = readFileSync(probeFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ProbeLine)
    .filter((l) => l.t >= sinceMs);
}

/**
 * The agent's CPU (% of one core) over `windowMs` with the probe paused (its timer costs about
 * 0.8 %), then its worst event-loop stall over another `windowMs` with the probe running;
 * `duringStalls` (e.g. API requests) runs in that second window only, until its signal aborts.
 */
export async function measureIdle(
  agent: AgentProcess,
  probeFile: string,
  windowMs: number,
  duringStalls?: (signal: AbortSignal) => Promise<void>,
): Promise<{ cpuPercent: number; maxStallMs: number; stallsOver50: number; gcMaxMs: number; rssMiB: number }> {
  const pid = agent.child.pid ?? 0;
  const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
  process.kill(pid, 'SIGUSR2'); // pause the probe
  await sleep(200);
  const t0 = Date.now();
  const cpu0 = cpuTimeMs(pid);
  await sleep(windowMs);
  const cpuPercent = ((cpuTimeMs(pid) - cpu0) / (Date.now() - t0)) * 100;
  process.kill(pid, 'SIGUSR2'); // resume
  const t1 = Date.now();
  const stop = new AbortController();
  const side = duringStalls?.(stop.signal);
  await sleep(windowMs);
  stop.abort();
  await side;
  // A line covers the second before it: the first one after t1 + 1 s began after the resume.
  const lines = readProbe(probeFile, t1 + 1000);
  return {
    cpuPercent,
    maxStallMs: Math.max(0, ...lines.map((l) => l.maxMs)),
    stallsOver50: lines.reduce((sum, l) => sum + l.over50, 0),
    gcMaxMs: Math.max(0, ...lines.map((l) => l.gcMaxMs)),
    rssMiB: rssMiB(pid),
  };
}
