/**
 * Lifeguard's suspicion timer (memberlist suspicion.go): a suspected node is declared dead
 * when the timer fires. It starts at the maximum timeout and shrinks logarithmically towards
 * the minimum as k independent peers confirm the suspicion, so a node that many peers cannot
 * reach is declared dead quickly, while a lone accuser (perhaps the unhealthy one) waits long.
 */
import type { Clock, TimerHandle } from '../../core/index.js';

/**
 * The total timeout after n of k confirmations: max − log(n + 1)/log(k + 1) × (max − min),
 * floored to whole milliseconds and never below min (memberlist remainingSuspicionTime,
 * before subtracting the elapsed time).
 */
export function suspicionTimeoutAfterMs(n: number, k: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs;
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  return Math.max(minMs, Math.floor(raw));
}

export interface SuspicionOptions {
  /** The first accuser; its later confirmations do not count. */
  readonly from: string;
  /** Confirmations expected from other peers (memberlist: suspicionMult − 2, or 0 in tiny clusters). */
  readonly k: number;
  /** Timeout with k confirmations, in ms (memberlist suspicionTimeout). */
  readonly minMs: number;
  /** Timeout with none, in ms (min × suspicionMaxTimeoutMult). */
  readonly maxMs: number;
  readonly clock: Clock;
  /** Called once when the timer fires, with the number of confirmations received. */
  readonly onTimeout: (confirmations: number) => void;
}

export class Suspicion {
  private readonly confirmers = new Set<string>();
  private confirmations = 0;
  private startedAtMs = 0;
  private timer: TimerHandle | null = null;
  private state: 'new' | 'running' | 'fired' | 'cancelled' = 'new';

  constructor(private readonly options: SuspicionOptions) {
    this.confirmers.add(options.from);
  }

  /** Arms the timer: max timeout, or min when no confirmations are expected (k < 1). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.startedAtMs = this.options.clock.nowMs();
    this.arm(this.options.k < 1 ? this.options.minMs : this.options.maxMs);
  }

  get confirmationCount(): number {
    return this.confirmations;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** The time from start until the timer fires, as things stand (ms). */
  get currentTimeoutMs(): number {
    const { k, minMs, maxMs } = this.options;
    if (this.confirmations === 0) return k < 1 ? minMs : maxMs;
    return suspicionTimeoutAfterMs(this.confirmations, k, minMs, maxMs);
  }

  /**
   * Records an independent confirmation. Returns true when it is new (the caller then
   * re-gossips the suspicion), false for the original accuser, a repeat, or once k
   * confirmations are in. As in memberlist, a confirmation after the timer fired still
   * counts as new but changes nothing.
   */
  confirm(from: string): boolean {
    if (this.confirmations >= this.options.k) return false;
    if (this.confirmers.has(from)) return false;
    this.confirmers.add(from);
    this.confirmations += 1;
    if (this.state === 'running') {
      const elapsedMs = this.options.clock.nowMs() - this.startedAtMs;
      this.arm(Math.max(0, this.currentTimeoutMs - elapsedMs));
    }
    return true;
  }

  /** Stops the timer for good (the node was refuted, declared dead, or removed). Idempotent. */
  cancel(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.state !== 'fired') this.state = 'cancelled';
  }

  dispose(): void {
    this.cancel();
  }

  private arm(delayMs: number): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      if (this.state !== 'running') return;
      this.state = 'fired';
      this.options.onTimeout(this.confirmations);
    }, delayMs);
  }
}
