/**
 * The simulator's scenarios, each on a running {@link SimCluster}: a record broadcast, a
 * crashed node, a graceful leave, and event-loop stalls. Each runs the clock until done (or
 * its timeout) and returns what it measured; times are in simulated ms from its start.
 */
import { convergenceTimes, measureTraffic, type ConvergenceTimes, type TrafficRate } from './metrics.js';
import { makeRecordPayload } from './record-delegate.js';
import type { SimCluster, SimNode } from './sim-cluster.js';

export interface BroadcastResult {
  readonly origin: string;
  readonly recordBytes: number;
  /** Live nodes holding the new version, over time (the origin holds it at 0). */
  readonly holding: ConvergenceTimes;
  /** Nodes that got it by push/pull rather than by a gossip message. */
  readonly viaPushPull: number;
  /** Gossip messages carrying it received per node (relays make it more than 1). */
  readonly messagesPerNode: number;
  /** Traffic from the broadcast until every live node held it (or the timeout). */
  readonly traffic: TrafficRate;
}

/** One node publishes a new version of a record; how fast does every live node hold it? */
export async function broadcastScenario(
  cluster: SimCluster,
  options: { origin: SimNode; recordId: string; version: number; recordBytes: number; timeoutMs: number },
): Promise<BroadcastResult> {
  const { clock } = cluster;
  const live = cluster.liveNodes;
  const startMs = clock.nowMs();
  const arrivals = new Map<number, number>();
  let viaPushPull = 0;
  const sub = cluster.onRecordAccepted((e) => {
    if (e.id !== options.recordId || e.record.version < options.version || arrivals.has(e.node.index) || e.node.state !== 'running') return;
    arrivals.set(e.node.index, e.record.atMs - startMs);
    if (e.record.via === 'pushPull') viaPushPull++;
  });
  const messagesBefore = live.reduce((sum, n) => sum + n.delegate.messagesReceived, 0);
  const traffic = measureTraffic(cluster.network, () => clock.nowMs(), () => live.length);
  try {
    cluster.publish(options.origin, options.recordId, options.version, makeRecordPayload(options.recordId, options.version, options.recordBytes));
    await clock.runWhile(() => arrivals.size < live.length, options.timeoutMs, 10);
  } finally {
    sub.dispose();
  }
  const messages = live.reduce((sum, n) => sum + n.delegate.messagesReceived, 0) - messagesBefore;
  return {
    origin: options.origin.name,
    recordBytes: options.recordBytes,
    holding: convergenceTimes([...arrivals.values()], live.length),
    viaPushPull,
    messagesPerNode: messages / live.length,
    traffic: traffic(),
  };
}

export interface FailureResult {
  readonly victim: string;
  /** First time any live node suspected the victim; null if none did. */
  readonly firstSuspicionMs: number | null;
  /** Live nodes that declared the victim dead, over time. */
  readonly dead: ConvergenceTimes;
  /** Other members declared dead meanwhile (false positives). */
  readonly otherDeaths: number;
}

/** A node crashes (stops without a leave message); how fast is it suspected, then dead to all? */
export async function failureScenario(cluster: SimCluster, options: { victim: SimNode; timeoutMs: number }): Promise<FailureResult> {
  const { clock } = cluster;
  const { victim } = options;
  const observers = cluster.liveNodes.filter((n) => n !== victim);
  const startMs = clock.nowMs();
  const deadAt = new Map<number, number>();
  let otherDeaths = 0;
  let firstSuspicionMs: number | null = null;
  const subs = [
    cluster.onMemberLeft((e) => {
      if (e.member.name !== victim.name) {
        if (e.member.state === 'dead') otherDeaths++;
        return;
      }
      if (e.observer.state === 'running' && !deadAt.has(e.observer.index)) deadAt.set(e.observer.index, clock.nowMs() - startMs);
    }),
    cluster.onMemberStateChanged((e) => {
      if (firstSuspicionMs === null && e.member.name === victim.name && e.member.state === 'suspect') firstSuspicionMs = clock.nowMs() - startMs;
    }),
  ];
  try {
    await cluster.kill(victim);
    await clock.runWhile(() => deadAt.size < observers.length, options.timeoutMs, 10);
  } finally {
    for (const sub of subs) sub.dispose();
  }
  return { victim: victim.name, firstSuspicionMs, dead: convergenceTimes([...deadAt.values()], observers.length), otherDeaths };
}

export interface LeaveResult {
  readonly node: string;
  /** How long leave() took to see its message go out (or time out). */
  readonly leaveCallMs: number;
  /** Live nodes that saw it leave, over time. */
  readonly left: ConvergenceTimes;
  /** Live nodes that declared it dead instead. */
  readonly declaredDead: number;
}

/** A node leaves gracefully (as on shutdown); how fast do all others see it gone? */
export async function leaveScenario(cluster: SimCluster, options: { node: SimNode; timeoutMs: number }): Promise<LeaveResult> {
  const { clock } = cluster;
  const observers = cluster.liveNodes.filter((n) => n !== options.node);
  const startMs = clock.nowMs();
  const leftAt = new Map<number, number>();
  let declaredDead = 0;
  const sub = cluster.onMemberLeft((e) => {
    if (e.member.name !== options.node.name || e.observer.state !== 'running') return;
    if (e.member.state === 'dead') declaredDead++;
    else if (!leftAt.has(e.observer.index)) leftAt.set(e.observer.index, clock.nowMs() - startMs);
  });
  let leaveCallMs = 0;
  try {
    await cluster.leave(options.node);
    leaveCallMs = clock.nowMs() - startMs;
    await clock.runWhile(() => leftAt.size + declaredDead < observers.length, options.timeoutMs, 10);
  } finally {
    sub.dispose();
  }
  return { node: options.node.name, leaveCallMs, left: convergenceTimes([...leftAt.values()], observers.length), declaredDead };
}

export interface StallResult {
  readonly stalledNodes: number;
  readonly stallMs: number;
  readonly staggerMs: number;
  /** Simulated time observed, from the first stall. */
  readonly observedMs: number;
  /** Distinct stalled nodes some node suspected, and (observer, stalled) pairs seen. */
  readonly suspectedStalledNodes: number;
  readonly suspicionsOfStalled: number;
  /** The same for nodes that never stalled: false suspicions. */
  readonly falselySuspectedNodes: number;
  readonly falseSuspicions: number;
  /** Refutations (own incarnation bumps) by stalled and by other nodes. */
  readonly refutationsByStalled: number;
  readonly refutationsByOthers: number;
  /** Dead declarations of anyone, by anyone (must be 0). */
  readonly deadDeclarations: number;
  /** Suspicions still running when observation ended. */
  readonly openSuspicionsAtEnd: number;
  /** Probe deadlines extended because they fired late (the prober's stall grace), all nodes. */
  readonly stallGraces: number;
  /** Failed probes and suspicions raised by probing, all nodes. */
  readonly probesFailed: number;
  readonly suspicionsRaised: number;
}

function sumStats(nodes: readonly SimNode[]): { stallGraces: number; probesFailed: number; suspicionsRaised: number } {
  let stallGraces = 0;
  let probesFailed = 0;
  let suspicionsRaised = 0;
  for (const n of nodes) {
    const s = n.list.stats();
    stallGraces += s.stallGraces;
    probesFailed += s.probesFailed;
    suspicionsRaised += s.suspicionsRaised;
  }
  return { stallGraces, probesFailed, suspicionsRaised };
}

/**
 * `stalled` nodes each block their event loop for `stallMs`, one after another over
 * `staggerMs`, while nothing else happens; the cluster is watched until `settleMs` after the
 * last stall ends.
 */
export async function stallScenario(
  cluster: SimCluster,
  options: { stalled: readonly SimNode[]; stallMs: number; staggerMs: number; settleMs: number },
): Promise<StallResult> {
  const { clock } = cluster;
  const live = cluster.liveNodes;
  const stalledNames = new Set(options.stalled.map((n) => n.name));
  const incarnations = live.map((n) => n.list.localIncarnation);
  const before = sumStats(live);
  let deadDeclarations = 0;
  /** (observer, suspect) pairs ever seen, and those still open. */
  const pairs = new Set<string>();
  const open = new Set<string>();
  const suspectedNodes = new Set<string>();
  const subs = [
    cluster.onMemberLeft((e) => {
      if (e.member.state === 'dead') deadDeclarations++;
    }),
    cluster.onMemberStateChanged((e) => {
      const pair = `${e.observer.index}>${e.member.name}`;
      if (e.member.state !== 'suspect') {
        open.delete(pair);
        return;
      }
      pairs.add(pair);
      open.add(pair);
      suspectedNodes.add(e.member.name);
    }),
  ];
  const startMs = clock.nowMs();
  const count = options.stalled.length;
  options.stalled.forEach((node, i) => {
    clock.setTimeout(() => cluster.stall(node, options.stallMs), count > 1 ? Math.floor((options.staggerMs * i) / count) : 0);
  });
  try {
    await clock.runUntil(startMs + options.staggerMs + options.stallMs + options.settleMs);
  } finally {
    for (const sub of subs) sub.dispose();
  }
  let suspicionsOfStalled = 0;
  for (const pair of pairs) if (stalledNames.has(pair.slice(pair.indexOf('>') + 1))) suspicionsOfStalled++;
  let refutationsByStalled = 0;
  let refutationsByOthers = 0;
  live.forEach((n, i) => {
    const bumps = n.list.localIncarnation - (incarnations[i] ?? 0);
    if (stalledNames.has(n.name)) refutationsByStalled += bumps;
    else refutationsByOthers += bumps;
  });
  const after = sumStats(live);
  const suspectedStalledNodes = [...suspectedNodes].filter((n) => stalledNames.has(n)).length;
  return {
    stalledNodes: count,
    stallMs: options.stallMs,
    staggerMs: options.staggerMs,
    observedMs: clock.nowMs() - startMs,
    suspectedStalledNodes,
    suspicionsOfStalled,
    falselySuspectedNodes: suspectedNodes.size - suspectedStalledNodes,
    falseSuspicions: pairs.size - suspicionsOfStalled,
    refutationsByStalled,
    refutationsByOthers,
    deadDeclarations,
    openSuspicionsAtEnd: open.size,
    stallGraces: after.stallGraces - before.stallGraces,
    probesFailed: after.probesFailed - before.probesFailed,
    suspicionsRaised: after.suspicionsRaised - before.suspicionsRaised,
  };
}
