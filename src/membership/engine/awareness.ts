/**
 * Lifeguard local health awareness (memberlist awareness.go): a score from 0 (healthy) to
 * max − 1 that rises when this node shows signs of being the slow one (missed nacks, having to
 * refute a suspicion, event-loop stalls) and falls with every successful probe. Probe timeouts
 * and intervals are multiplied by score + 1, so a struggling node waits longer before it
 * accuses anyone.
 */
import { Emitter, type Event } from '../../core/index.js';

export class Awareness {
  private score = 0;
  private readonly didChange = new Emitter<number>();
  /** Fires with the new score whenever it changes (for metrics and logs). */
  readonly onDidChangeScore: Event<number> = this.didChange.event;

  /**
   * @param maxMultiplier the largest factor timeouts are scaled by (memberlist
   *   AwarenessMaxMultiplier, default 8), so the score stays in 0..maxMultiplier − 1.
   * @param probeTimeoutMs the probe timeout; event-loop stalls longer than this count as
   *   evidence that our own timers are unreliable.
   */
  constructor(
    private readonly maxMultiplier: number,
    private readonly probeTimeoutMs: number,
  ) {}

  get healthScore(): number {
    return this.score;
  }

  /** Adds delta (may be negative), clamped to 0..max − 1. */
  applyDelta(delta: number): void {
    const before = this.score;
    this.score = Math.min(Math.max(0, this.score + Math.trunc(delta)), Math.max(0, this.maxMultiplier - 1));
    if (this.score !== before) this.didChange.fire(this.score);
  }

  /** timeoutMs × (score + 1). */
  scaleTimeoutMs(timeoutMs: number): number {
    return timeoutMs * (this.score + 1);
  }

  /**
   * Node-specific input: the event loop was blocked for `delayMs` (from a drift timer or
   * perf_hooks.monitorEventLoopDelay). A stall longer than the probe timeout means any ack
   * that arrived meanwhile was read late, so a probe may have "timed out" through our own
   * fault. Each whole probe timeout of stall raises the score by one, so a 2 s stall with a
   * 500 ms probe timeout stretches the next timeouts ×5 instead of accusing healthy peers.
   * Returns the increment applied (0 for short delays).
   */
  noteEventLoopDelayMs(delayMs: number): number {
    if (!Number.isFinite(delayMs) || delayMs <= this.probeTimeoutMs) return 0;
    const before = this.score;
    this.applyDelta(Math.floor(delayMs / this.probeTimeoutMs));
    return this.score - before;
  }

  dispose(): void {
    this.didChange.dispose();
  }
}
