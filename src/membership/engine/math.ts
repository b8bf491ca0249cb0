/**
 * memberlist's scaling formulas (util.go), identical in stock memberlist and the NinesStack
 * fork. Each grows slowly with the cluster size n so cost per node stays near constant.
 */

/**
 * Minimum suspicion timeout: suspicionMult × max(1, log10(max(1, n))) × interval. As in Go,
 * the node scale is truncated to thousandths and the result to whole milliseconds (Go keeps
 * nanoseconds; our clock works in ms).
 */
export function suspicionTimeoutMs(suspicionMult: number, n: number, intervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor((suspicionMult * Math.trunc(nodeScale * 1000) * intervalMs) / 1000);
}

/** How many times a broadcast is sent: retransmitMult × ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** Above this many nodes the push/pull interval starts to stretch (memberlist util.go). */
export const PUSH_PULL_SCALE_THRESHOLD = 32;

/**
 * The push/pull interval for n nodes: unchanged up to 32 nodes, then multiplied by
 * ceil(log2(n) − log2(32)) + 1, so every doubling adds one interval.
 */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return multiplier * intervalMs;
}
