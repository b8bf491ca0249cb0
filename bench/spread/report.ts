// The figures bench/worker-spread.ts gathers, and the markdown table made from them.
import { MODE_TITLES, type Mode } from './protocol.js';

/** What the bench was asked to do (the knobs, after defaults). */
export interface Knobs {
  readonly workers: number;
  readonly reps: number;
  readonly shortConnections: number;
  readonly longConnections: number;
  readonly longRequests: number;
  readonly stallMs: number;
  readonly stallConnections: number;
  /** Connections of scenario 3 arrive one every this many ms (spread over 80 % of the stall). */
  readonly stallSpacingMs: number;
  readonly burstConnections: number;
  readonly burstConcurrency: number;
}

export interface BurstRun {
  readonly connections: number;
  readonly elapsedMs: number;
  /** CPU time of the main thread during the burst (process.threadCpuUsage), µs. */
  readonly mainCpuUs: number;
  /** CPU time of the whole process (all threads) during the burst, µs. */
  readonly processCpuUs: number;
  /** performance.eventLoopUtilization of the main thread during the burst (0–1). */
  readonly mainElu: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface ModeResult {
  readonly mode: Mode;
  /** Scenario 1, per repetition: connections each worker served. */
  readonly short: number[][];
  /** Scenario 2, per repetition: connections and requests each worker served. */
  readonly long: { readonly connections: number[]; readonly requests: number[] }[];
  /** Scenario 3, per repetition: time to first reply of each connection (ms), and how many worker 0 (stalled) served. */
  readonly stall: { readonly firstReplyMs: number[]; readonly onStalled: number }[];
  readonly burst: BurstRun[];
  /** Client connections that failed, over all scenarios (should be 0). */
  readonly errors: number;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
const median = (values: readonly number[]): number => percentile(values, 50);
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const pct = (v: number): string => `${Math.round(v * 100)} %`;
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Every way `n` connections can fall over `parts` workers, busiest first: 4 over 2 → 4–0, 3–1, 2–2. */
export function splits(n: number, parts: number, max = n): number[][] {
  if (parts === 1) return n <= max ? [[n]] : [];
  const out: number[][] = [];
  for (let first = Math.min(n, max); first >= Math.ceil(n / parts); first--) {
    for (const rest of splits(n - first, parts - 1, first)) out.push([first, ...rest]);
  }
  return out;
}
const splitName = (counts: readonly number[]): string => [...counts].sort((a, b) => b - a).join('–');

/** Busiest and least busy worker's share of a repetition's total. */
function shares(perWorker: readonly number[]): { max: number; min: number } {
  const total = sum(perWorker);
  return total === 0 ? { max: Number.NaN, min: Number.NaN } : { max: Math.max(...perWorker) / total, min: Math.min(...perWorker) / total };
}

/** One row per figure, one column per mode. */
export function summarize(knobs: Knobs, results: readonly ModeResult[]): string {
  const rows: [string, string, (r: ModeResult) => string][] = [];
  const R = knobs.reps;
  const s1 = `1. ${knobs.shortConnections} short connections at once, one request each`;
  rows.push([s1, "busiest worker's share: median / worst", (r) => `${pct(median(r.short.map((w) => shares(w).max)))} / ${pct(Math.max(...r.short.map((w) => shares(w).max)))}`]);
  rows.push(['', "least busy worker's share: median / worst", (r) => `${pct(median(r.short.map((w) => shares(w).min)))} / ${pct(Math.min(...r.short.map((w) => shares(w).min)))}`]);
  rows.push(['', 'worst split over the repetitions', (r) => splitName([...r.short].sort((a, b) => shares(b).max - shares(a).max)[0] ?? [])]);

  const all = splits(knobs.longConnections, knobs.workers);
  const s2 = `2. ${knobs.longConnections} long-lived connections, ${knobs.longRequests} requests each`;
  rows.push([s2, `splits ${all.map(splitName).join(' / ')} (times in ${R})`, (r) => all.map((split) => r.long.filter((l) => splitName(l.connections) === splitName(split)).length).join(' / ')]);
  rows.push(['', "busiest worker's share of requests: median / worst", (r) => `${pct(median(r.long.map((l) => shares(l.requests).max)))} / ${pct(Math.max(...r.long.map((l) => shares(l.requests).max)))}`]);
  rows.push(['', 'repetitions with an idle worker', (r) => `${r.long.filter((l) => Math.min(...l.requests) === 0).length} of ${R}`]);

  const slowMs = knobs.stallMs / 2;
  const s3 = `3. worker 0 stalled ${knobs.stallMs} ms, ${knobs.stallConnections} new connections (one every ${ms(knobs.stallSpacingMs)} ms)`;
  const slow = (r: ModeResult): number[] => r.stall.map((s) => s.firstReplyMs.filter((t) => t > slowMs).length);
  const firsts = (r: ModeResult): number[] => r.stall.flatMap((s) => s.firstReplyMs);
  rows.push([s3, `connections waiting > ${slowMs} ms for their first reply: median / worst`, (r) => `${median(slow(r))} / ${Math.max(...slow(r))}`]);
  rows.push(['', 'time to first reply p50 / p90 / max (ms)', (r) => `${ms(percentile(firsts(r), 50))} / ${ms(percentile(firsts(r), 90))} / ${ms(Math.max(...firsts(r)))}`]);
  rows.push(['', 'connections served by the stalled worker: median / worst', (r) => `${median(r.stall.map((s) => s.onStalled))} / ${Math.max(...r.stall.map((s) => s.onStalled))}`]);

  const s4 = `4. burst of ${knobs.burstConnections} connections, ${knobs.burstConcurrency} at a time`;
  const perConn = (pick: (b: BurstRun) => number) => (r: ModeResult): number => median(r.burst.map((b) => pick(b) / b.connections));
  const mainUs = perConn((b) => b.mainCpuUs);
  rows.push([s4, 'main-thread CPU µs per connection (median)', (r) => mainUs(r).toFixed(1)]);
  rows.push(['', 'whole-process CPU µs per connection, clients and backend included (median)', (r) => perConn((b) => b.processCpuUs)(r).toFixed(0)]);
  rows.push(['', 'main thread busy (event-loop utilization, median)', (r) => pct(median(r.burst.map((b) => b.mainElu)))]);
  rows.push(['', 'main-thread event-loop delay p99 / max (ms, median of reps)', (r) => `${ms(median(r.burst.map((b) => b.loopDelayP99Ms)))} / ${ms(median(r.burst.map((b) => b.loopDelayMaxMs)))}`]);
  rows.push(['', 'connections per second (median)', (r) => median(r.burst.map((b) => b.connections / (b.elapsedMs / 1000))).toFixed(0)]);
  rows.push(['', 'failed client connections, all scenarios', (r) => String(r.errors)]);

  const lines = [`| scenario (${R} repetitions, ${knobs.workers} workers) | figure | ${results.map((r) => MODE_TITLES[r.mode]).join(' | ')} |`, `|---|---|${results.map(() => '---|').join('')}`];
  for (const [scenario, figure, value] of rows) lines.push(`| ${scenario} | ${figure} | ${results.map(value).join(' | ')} |`);
  const a = results.find((r) => r.mode === 'reusePort');
  const b = results.find((r) => r.mode === 'handoff');
  if (a !== undefined && b !== undefined) {
    lines.push('', `Handoff's cost on the accepting thread: ${(mainUs(b) - mainUs(a)).toFixed(1)} µs of main-thread CPU per connection more than reusePort (whose main thread accepts nothing; its figure is the bench's own bookkeeping).`);
  }
  return lines.join('\n');
}
