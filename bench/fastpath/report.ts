// The fast path benchmark's tables (markdown): per part (pinned, unpinned), the load rows with
// their ratios to HAProxy (nbthread 1) and to direct and issue #15's goals; the dead-endpoint trials.
import { median, type WrkRun } from '../proxy/harness.js';
import type { DeadTrial } from './dead-endpoint.js';

/**
 * The bench's two topologies. pinned: wrk and nginx on one core, HAProxy (and the one-worker
 * Node balancer) on the other. unpinned: every process on every core, as on a host.
 */
export type Part = 'pinned' | 'unpinned';
const ALL_PARTS: readonly Part[] = ['pinned', 'unpinned'];
/** The parts to run (`PARTS='pinned unpinned'`, both by default), in that order. */
export const PARTS: readonly Part[] = (() => {
  const asked = (process.env['PARTS'] ?? ALL_PARTS.join(' ')).split(/\s+/).filter(Boolean);
  const unknown = asked.filter((p) => !(ALL_PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`PARTS: unknown part ${unknown.join(', ')} (pinned, unpinned)`);
  return ALL_PARTS.filter((p) => asked.includes(p));
})();
const PART_TITLES: Record<Part, string> = {
  pinned: 'Pinned: wrk (-t1) and nginx (1 worker) on one CPU (LOAD_CPU), HAProxy and the one-worker Node balancer on the other (PROXY_CPU), the other agents unpinned',
  unpinned: 'Unpinned: every process on both CPUs (wrk -t2, nginx with a worker per CPU, HAProxy, the agents), as on a host',
};

export interface Row extends WrkRun {
  /** Absent in results saved before the unpinned part existed: pinned. */
  readonly part?: Part;
  readonly scenario: string;
  readonly test: string;
  readonly rep: number;
  /** The whole machine's busy CPU over the run (kernel included), in % of one CPU. */
  readonly machineCpuPct: number;
}

const NAMES: Record<string, string> = {
  direct: 'direct',
  haproxy: 'HAProxy (tcp, nbthread 1)',
  'haproxy-nb2': 'HAProxy (tcp, nbthread 2)',
  node: 'Node balancer (default workers)',
  'node-w1': 'Node balancer (1 worker)',
  fastpath: 'fast path (nftables)',
};
/** Issue #15's ceiling on the agent's own CPU during the fast path's load: 5 % of a core. */
const AGENT_CPU_GOAL_PCT = 5;

/** CPU time of the whole machine per request over the run, kernel included, without other processes' (µs): what a request costs end to end. */
function perRequestUs(r: Row): number | null {
  return r.rps === 0 ? null : (Math.max(0, r.machineCpuPct - r.foreignCpuPct) / 100 / r.rps) * 1e6;
}

function fmt(v: number | null, digits = 0): string {
  return v === null ? '–' : v.toFixed(digits);
}
function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}
function times(v: number | null): string {
  return v === null ? '–' : `${v.toFixed(2)}×`;
}

export function render(tests: readonly string[], rows: readonly Row[], dead: readonly DeadTrial[]): string {
  const parts = ALL_PARTS.filter((p) => rows.some((r) => (r.part ?? 'pinned') === p));
  const notes = [
    'Tests: ka50 = keep-alive, 50 connections; close50 = a new connection per request (`Connection: close`), 50 at a time; big1m = 1 MiB responses, 8 keep-alive connections.',
    "Its CPU: the process's own CPU time (all threads) over the run, from /proc (HAProxy's, or the agent's). Machine CPU: every CPU's busy time over the run, kernel included (of 100 % × CPUs): where the fast path's NAT work shows. CPU µs per request: the machine's busy time less other processes' (those this bench did not start), per request: wrk, nginx, the proxy and the kernel together. ÷ HAProxy: against HAProxy with nbthread 1 in the same part.",
  ];
  const sections = parts.flatMap((p) => [`### ${PART_TITLES[p]}`, '', renderPart(tests, rows.filter((r) => (r.part ?? 'pinned') === p)), '']);
  return [...sections, ...notes, ...(dead.length === 0 ? [] : ['', ...renderDead(dead)])].join('\n');
}

function renderPart(tests: readonly string[], rows: readonly Row[]): string {
  const med = (scenario: string, test: string, pick: (r: Row) => number | null): number | null => {
    const values = rows.filter((r) => r.scenario === scenario && r.test === test).map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : median(values);
  };
  const scenarios = Object.keys(NAMES).filter((s) => rows.some((r) => r.scenario === s));
  const lines = [
    '| test | row | req/s | MB/s | p50 µs | p99 µs | its CPU, % of a core | machine CPU % | CPU µs per request | req/s ÷ HAProxy | p99 ÷ HAProxy | req/s ÷ direct | p99 ÷ direct |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const test of tests) {
    for (const s of scenarios) {
      const rps = med(s, test, (r) => r.rps);
      const p99 = med(s, test, (r) => r.p99_us);
      const cell = (other: string, pick: (r: Row) => number, v: number | null): string => (s === other ? '' : times(ratio(v, med(other, test, pick))));
      lines.push(
        `| ${test} | ${NAMES[s] ?? s} | ${fmt(rps)} | ${fmt(med(s, test, (r) => r.mbps), test === 'big1m' ? 0 : 1)} | ${fmt(med(s, test, (r) => r.p50_us))} | ${fmt(p99)} | ${fmt(med(s, test, (r) => r.proxyCpuPct), 1)} | ${fmt(med(s, test, (r) => r.machineCpuPct))} | ${fmt(med(s, test, perRequestUs))} | ${cell('haproxy', (r) => r.rps, rps)} | ${cell('haproxy', (r) => r.p99_us, p99)} | ${cell('direct', (r) => r.rps, rps)} | ${cell('direct', (r) => r.p99_us, p99)} |`,
      );
    }
  }
  const met = (ok: boolean | null): string => (ok === null ? '–' : ok ? 'met' : 'not met');
  // Against each HAProxy of the part (the issue's is nbthread 1; nbthread 2 where it ran too).
  const haproxies = ['haproxy', 'haproxy-nb2'].filter((h) => scenarios.includes(h));
  const goal = (test: string): string[] => {
    const cpu = med('fastpath', test, (r) => r.proxyCpuPct);
    return [
      ...haproxies.flatMap((h) => {
        const rps = ratio(med('fastpath', test, (r) => r.rps), med(h, test, (r) => r.rps));
        const p99 = ratio(med('fastpath', test, (r) => r.p99_us), med(h, test, (r) => r.p99_us));
        const name = h === 'haproxy' ? 'HAProxy' : 'HAProxy nbthread 2';
        return [`| ${test} req/s ÷ ${name} | ≥ 1.00× | ${times(rps)} | ${met(rps === null ? null : rps >= 1)} |`, `| ${test} p99 ÷ ${name} | ≤ 1.00× | ${times(p99)} | ${met(p99 === null ? null : p99 <= 1)} |`];
      }),
      `| ${test} agent CPU during the load | < ${AGENT_CPU_GOAL_PCT} % of a core | ${fmt(cpu, 1)} % | ${met(cpu === null ? null : cpu < AGENT_CPU_GOAL_PCT)} |`,
    ];
  };
  const goals = ['Issue #15 goals, the fast path:', '', '| goal | target | measured |  |', '|---|---|---|---|', ...tests.flatMap(goal)];
  return [...goals, '', ...lines].join('\n');
}

function renderDead(dead: readonly DeadTrial[]): string[] {
  const lines = [
    'Dead endpoint (two endpoints, one killed with SIGKILL; a new client connection every 10 ms; Tcp health checks every 3 s, `--health-fall 1`):',
    '',
    '| mode | trial | client failures after the kill | connections sent to the dead endpoint | last one, ms after the kill | out of the rotation, ms after the kill |',
    '|---|---|---|---|---|---|',
  ];
  for (const t of dead) {
    const kinds = Object.entries(t.failureKinds ?? {}).map(([k, n]) => `${n} ${k}`).join(', ');
    lines.push(`| ${t.mode} | ${t.trial} | ${t.failuresAfterKill} of ${t.connectionsAfterKill}${kinds === '' ? '' : ` (${kinds})`} | ${t.attemptsAfterKill} | ${fmt(t.lastAttemptMs)} | ${fmt(t.droppedMs)} |`);
  }
  for (const mode of [...new Set(dead.map((t) => t.mode))]) {
    const of = dead.filter((t) => t.mode === mode);
    const m = (pick: (t: DeadTrial) => number | null): string => {
      const v = of.map(pick).filter((x): x is number => x !== null);
      return v.length === 0 ? '–' : fmt(median(v));
    };
    lines.push(`| ${mode} | median | ${m((t) => t.failuresAfterKill)} | ${m((t) => t.attemptsAfterKill)} | ${m((t) => t.lastAttemptMs)} | ${m((t) => t.droppedMs)} |`);
  }
  const before = dead.reduce((n, t) => n + t.failuresBeforeKill, 0);
  if (before > 0) lines.push('', `(${before} client failures before a kill, all trials: not the dead endpoint's.)`);
  return lines;
}
