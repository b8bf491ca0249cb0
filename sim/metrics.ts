/** The measures the simulator reports: spread times over a population, and traffic per node. */
import type { MemoryNetwork } from '../src/membership/index.js';

/** The fractions of a population convergence is reported at. */
export const CONVERGENCE_FRACTIONS = [0.5, 0.99, 0.999, 1] as const;

/** How long something took to reach shares of a population, in ms from its start. */
export interface ConvergenceTimes {
  /** Nodes counted (the live nodes that should see it). */
  readonly of: number;
  /** How many of them saw it within the scenario. */
  readonly reached: number;
  /** Time until ⌈share × of⌉ nodes saw it; null when not reached. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly p100Ms: number | null;
}

/**
 * Convergence times from the delays at which each node saw something (`delaysMs`, any order;
 * one per node that saw it) out of `of` nodes.
 */
export function convergenceTimes(delaysMs: readonly number[], of: number): ConvergenceTimes {
  const sorted = [...delaysMs].sort((a, b) => a - b);
  const at = (share: number): number | null => {
    const k = Math.max(1, Math.ceil(share * of - 1e-9));
    const v = sorted[k - 1];
    return k <= sorted.length && v !== undefined ? v : null;
  };
  const [p50, p99, p999, p100] = CONVERGENCE_FRACTIONS.map(at);
  return { of, reached: sorted.length, p50Ms: p50 ?? null, p99Ms: p99 ?? null, p999Ms: p999 ?? null, p100Ms: p100 ?? null };
}

/** Traffic per node over a window, from the network's counters. */
export interface TrafficRate {
  readonly windowMs: number;
  /** UDP (gossip, probes) bytes sent per node per second. */
  readonly udpBytesPerNodePerSec: number;
  readonly packetsPerNodePerSec: number;
  /** TCP (push/pull, fallback pings, large user messages) bytes sent per node per second. */
  readonly tcpBytesPerNodePerSec: number;
  /** Share of packets lost on the way. */
  readonly packetLossShare: number;
}

/** Starts a traffic window: zeroes the network's counters; call the result to read the rate. */
export function measureTraffic(network: MemoryNetwork, nowMs: () => number, nodes: () => number): () => TrafficRate {
  network.resetStats();
  const startMs = nowMs();
  return () => {
    const windowMs = nowMs() - startMs;
    const t = network.totals();
    const perNodeSec = (x: number): number => (windowMs > 0 && nodes() > 0 ? (x * 1000) / windowMs / nodes() : 0);
    const lost = t.packetsDropped.loss + t.packetsDropped.partition + t.packetsDropped.noListener;
    return {
      windowMs,
      udpBytesPerNodePerSec: perNodeSec(t.bytesSent),
      packetsPerNodePerSec: perNodeSec(t.packetsSent),
      tcpBytesPerNodePerSec: perNodeSec(t.streamBytesSent),
      packetLossShare: t.packetsSent > 0 ? lost / t.packetsSent : 0,
    };
  };
}
