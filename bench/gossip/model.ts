// Closed-form predictions the gossip benchmark puts next to its measurements (ported from
// shared/bench-anchors/gossip/convergence-model.js; see performance-anchors.md §7.4–7.5):
//
// - broadcast convergence, the logistic epidemic model behind the Serf convergence simulator:
//     fraction(r) = 1 / (1 + (N + 1)·e^(−c·r)),  c = fanout·(1 − loss),  one round = one gossip interval
//   solved for r: r(p) = ln((N + 1)·p / (1 − p)) / c. It ignores retransmit limits, packet size,
//   processing delay and push/pull: a lower bound.
// - failure detection (memberlist): first probe of a dead node after e/(e − 1) probe intervals
//   on average (SWIM); suspicion timeout min = mult·max(1, log10 N)·probeInterval, max = 6·min;
//   dead → all, lower bound = first probe + probe timeout + min suspicion + broadcast to 99.9%.

export interface ModelSettings {
  readonly gossipIntervalMs: number;
  readonly fanout: number;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly retransmitMult: number;
}

/** Gossip rounds until a share `p` of N nodes has a broadcast (logistic model). */
export function modelRounds(n: number, p: number, fanout: number, loss: number): number {
  const contact = fanout * (1 - loss);
  return Math.log(((n + 1) * p) / (1 - p)) / contact;
}

/** Time until a share `p` of N nodes has a broadcast, in ms. */
export function modelBroadcastMs(s: ModelSettings, n: number, p: number, loss: number): number {
  return modelRounds(n, p, s.fanout, loss) * s.gossipIntervalMs;
}

/** Time until fewer than half a node is left unaware (the model's "everyone"), in ms. */
export function modelBroadcastAllMs(s: ModelSettings, n: number, loss: number): number {
  return modelBroadcastMs(s, n, 1 - 1 / (2 * n), loss);
}

/**
 * The model's time for the share the simulator reports: ⌈share·N⌉ whole nodes aware (so 99.9%
 * of 100 nodes is all 100, i.e. fewer than half a node left unaware), in ms.
 */
export function modelShareMs(s: ModelSettings, n: number, share: number, loss: number): number {
  const k = Math.max(1, Math.ceil(share * n - 1e-9));
  return k >= n ? modelBroadcastAllMs(s, n, loss) : modelBroadcastMs(s, n, k / n, loss);
}

/** SWIM: expected delay until some live member first probes a crashed one, in ms. */
export function modelFirstProbeMs(s: ModelSettings): number {
  return (Math.E / (Math.E - 1)) * s.probeIntervalMs;
}

export function modelSuspicionMinMs(s: ModelSettings, n: number, suspicionMult: number): number {
  return suspicionMult * Math.max(1, Math.log10(n)) * s.probeIntervalMs;
}

export function modelSuspicionMaxMs(s: ModelSettings, n: number, suspicionMult: number): number {
  return s.suspicionMaxTimeoutMult * modelSuspicionMinMs(s, n, suspicionMult);
}

/** Dead node → 99.9% of nodes aware, lower bound, in ms (at 0% loss, as the anchors compute it). */
export function modelDeadToAllMs(s: ModelSettings, n: number, suspicionMult: number): number {
  return modelFirstProbeMs(s) + s.probeTimeoutMs + modelSuspicionMinMs(s, n, suspicionMult) + modelBroadcastMs(s, n, 0.999, 0);
}

/** memberlist retransmit limit: sends per message per node. */
export function modelRetransmitLimit(s: ModelSettings, n: number): number {
  return s.retransmitMult * Math.ceil(Math.log10(n + 1));
}
