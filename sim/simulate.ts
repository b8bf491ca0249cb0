/**
 * One simulation run: builds a {@link SimCluster}, warms it up, then runs the chosen scenarios
 * in a fixed order on the same cluster (steady-state traffic, a broadcast, stalls, a crash, a
 * graceful leave) and returns what each measured plus what the run cost. Same options and
 * seed, same result (except the `cost` part, which is wall-clock time).
 */
import { BugError } from '../src/core/index.js';
import { seededRandom, suspicionTimeoutMs } from '../src/membership/index.js';
import type { TrafficRate } from './metrics.js';
import { measureTraffic } from './metrics.js';
import {
  broadcastScenario,
  failureScenario,
  leaveScenario,
  stallScenario,
  type BroadcastResult,
  type FailureResult,
  type LeaveResult,
  type StallResult,
} from './scenarios.js';
import { SimCluster, type SimClusterOptions, type SimNode } from './sim-cluster.js';

export type ScenarioName = 'steady' | 'broadcast' | 'stalls' | 'failure' | 'leave';

/** Every scenario, in the order a run does them. */
export const SCENARIOS: readonly ScenarioName[] = ['steady', 'broadcast', 'stalls', 'failure', 'leave'];

export interface SimulationOptions extends SimClusterOptions {
  /** Which scenarios to run (always in {@link SCENARIOS} order). Default all. */
  readonly scenarios?: readonly ScenarioName[];
  /** Every node knows every other before it starts (default), or each joins node 0 (O(N²)). */
  readonly warmStart?: boolean;
  /** Simulated time run before the first scenario, in ms. Default 5000 (start-up gossip drains). */
  readonly warmupMs?: number;
  /** Window of the steady-state traffic measure, in ms. Default 10000. */
  readonly steadyMs?: number;
  /** Size of the broadcast record, in bytes. Default 512 (a typical Sidecar service JSON). */
  readonly recordBytes?: number;
  /** Give up on the broadcast after this long, in ms. Default 30000. */
  readonly broadcastTimeoutMs?: number;
  /** Share of live nodes that stall (at least one). Default 0.01. */
  readonly stallFraction?: number;
  /** How long each stall blocks its node, in ms. Default 2000. */
  readonly stallMs?: number;
  /** The stalls start evenly spread over this long, in ms. Default 10000. */
  readonly stallStaggerMs?: number;
  /** Watch this long after the last stall ends, in ms. Default the minimum suspicion timeout + 5000. */
  readonly stallSettleMs?: number;
  /** Give up on "dead to all" after this long, in ms. Default the maximum suspicion timeout + 30000. */
  readonly failureTimeoutMs?: number;
  /** Give up on "left to all" after this long, in ms. Default 30000. */
  readonly leaveTimeoutMs?: number;
  /** Progress lines, as each phase ends. */
  readonly onProgress?: (message: string) => void;
}

export interface PhaseCost {
  readonly phase: string;
  readonly wallMs: number;
  readonly simulatedMs: number;
  readonly timersFired: number;
}

export interface SimulationResult {
  readonly nodes: number;
  readonly seed: number;
  readonly lossRate: number;
  readonly latencyMs: number;
  readonly steady?: TrafficRate;
  readonly broadcast?: BroadcastResult;
  readonly stalls?: StallResult;
  readonly failure?: FailureResult;
  readonly leave?: LeaveResult;
  /** What the run cost (wall-clock: not deterministic). */
  readonly cost: { readonly phases: readonly PhaseCost[]; readonly wallMs: number };
}

/** Picks `k` distinct items at random (seeded), in pick order. */
function pick<T>(items: readonly T[], k: number, rng: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < k && pool.length > 0) out.push(pool.splice(Math.floor(rng() * pool.length), 1)[0] as T);
  return out;
}

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const wanted = new Set(options.scenarios ?? SCENARIOS);
  for (const s of wanted) if (!SCENARIOS.includes(s)) throw new BugError(`unknown scenario ${JSON.stringify(s)}`);
  const seed = options.seed ?? 1;
  const say = options.onProgress ?? ((): void => undefined);
  const rng = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  const runStart = performance.now();
  const phases: PhaseCost[] = [];
  const cluster = new SimCluster(options);
  const { clock } = cluster;
  const n = options.nodes;
  const m = cluster.membership;
  const label = `N=${n} loss=${((options.lossRate ?? 0) * 100).toFixed(0)}%`;
  const phase = async <T>(name: string, work: () => Promise<T>, describe: (r: T) => string): Promise<T> => {
    const wall = performance.now();
    const sim = clock.nowMs();
    const timers = clock.firedTimers;
    const result = await work();
    const cost = { phase: name, wallMs: performance.now() - wall, simulatedMs: clock.nowMs() - sim, timersFired: clock.firedTimers - timers };
    phases.push(cost);
    say(`${label} ${name}: ${describe(result)} (simulated ${(cost.simulatedMs / 1000).toFixed(1)} s in ${(cost.wallMs / 1000).toFixed(1)} s)`);
    return result;
  };
  const out: { -readonly [K in keyof SimulationResult]?: SimulationResult[K] } = {};
  try {
    await phase(
      'start',
      async () => {
        const warm = options.warmStart ?? true;
        await cluster.start(warm);
        if (!warm && !(await cluster.joinAll())) throw new BugError(`${n} nodes did not all see each other after joining`);
        await clock.advance(options.warmupMs ?? 5000);
      },
      () => `${n} nodes up`,
    );
    if (wanted.has('steady')) {
      out.steady = await phase(
        'steady',
        async () => {
          const traffic = measureTraffic(cluster.network, () => clock.nowMs(), () => cluster.liveNodes.length);
          await clock.advance(options.steadyMs ?? 10_000);
          return traffic();
        },
        (t) => `${Math.round(t.udpBytesPerNodePerSec)} B/s UDP + ${Math.round(t.tcpBytesPerNodePerSec)} B/s TCP per node`,
      );
    }
    if (wanted.has('broadcast')) {
      const origin = pick(cluster.liveNodes, 1, rng)[0] as SimNode;
      out.broadcast = await phase(
        'broadcast',
        () => broadcastScenario(cluster, { origin, recordId: 'svc-bench', version: 1, recordBytes: options.recordBytes ?? 512, timeoutMs: options.broadcastTimeoutMs ?? 30_000 }),
        (b) => `${b.holding.reached}/${b.holding.of} hold it; 99.9% at ${fmt(b.holding.p999Ms)}, 100% at ${fmt(b.holding.p100Ms)}`,
      );
    }
    if (wanted.has('stalls')) {
      const count = Math.max(1, Math.round((options.stallFraction ?? 0.01) * cluster.liveNodes.length));
      const stalled = pick(cluster.liveNodes, count, rng);
      out.stalls = await phase(
        'stalls',
        () =>
          stallScenario(cluster, {
            stalled,
            stallMs: options.stallMs ?? 2000,
            staggerMs: options.stallStaggerMs ?? 10_000,
            settleMs: options.stallSettleMs ?? suspicionTimeoutMs(m.suspicionMult, n, m.probeIntervalMs) + 5000,
          }),
        (s) =>
          `${s.stalledNodes} stalled; ${s.suspectedStalledNodes} of them suspected, ${s.falselySuspectedNodes} others suspected, ${s.deadDeclarations} dead declarations`,
      );
    }
    if (wanted.has('failure')) {
      const victim = pick(cluster.liveNodes, 1, rng)[0] as SimNode;
      const maxSuspicionMs = m.suspicionMaxTimeoutMult * suspicionTimeoutMs(m.suspicionMult, n, m.probeIntervalMs);
      out.failure = await phase(
        'failure',
        () => failureScenario(cluster, { victim, timeoutMs: options.failureTimeoutMs ?? maxSuspicionMs + 30_000 }),
        (f) => `first suspicion at ${fmt(f.firstSuspicionMs)}, dead to ${f.dead.reached}/${f.dead.of}, all at ${fmt(f.dead.p100Ms)}`,
      );
    }
    if (wanted.has('leave')) {
      const node = pick(cluster.liveNodes, 1, rng)[0] as SimNode;
      out.leave = await phase(
        'leave',
        () => leaveScenario(cluster, { node, timeoutMs: options.leaveTimeoutMs ?? 30_000 }),
        (l) => `left to ${l.left.reached}/${l.left.of}, all at ${fmt(l.left.p100Ms)}`,
      );
    }
  } finally {
    await cluster.close();
  }
  return {
    nodes: n,
    seed,
    lossRate: options.lossRate ?? 0,
    latencyMs: options.latencyMs ?? 1,
    ...out,
    cost: { phases, wallMs: performance.now() - runStart },
  };
}

function fmt(ms: number | null): string {
  return ms === null ? 'never' : `${(ms / 1000).toFixed(2)} s`;
}
