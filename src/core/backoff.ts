/** How a {@link Backoff} grows. */
export interface BackoffOptions {
  /** The first delay, in ms (and the delay again after reset()). */
  readonly initialMs: number;
  /** Longest delay, in ms: growth stops there. */
  readonly maxMs: number;
  /** Multiplier from one delay to the next. Default 2 (doubling). */
  readonly factor?: number;
  /**
   * Fraction of each delay drawn at random and taken off, 0 to 1. Default 0 (no jitter): a
   * delay of d is then anywhere in [d × (1 − jitter), d], so retries of many hosts spread out.
   */
  readonly jitter?: number;
  /** Random numbers in [0, 1) for the jitter; default Math.random (tests inject their own). */
  readonly random?: () => number;
}

/**
 * The one exponential back-off: each {@link next} gives the delay to wait before the next
 * attempt and grows the following one by `factor` up to `maxMs`; {@link reset} after a success
 * starts again at `initialMs`. It only computes delays: the caller owns the timer (on its Clock).
 */
export class Backoff {
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private currentMs: number;

  constructor(private readonly options: BackoffOptions) {
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
    this.random = options.random ?? Math.random;
    this.currentMs = options.initialMs;
  }

  /** The delay the next call to {@link next} will give, before jitter (for log lines). */
  get peekMs(): number {
    return this.currentMs;
  }

  /** The delay to wait now, in ms; the one after it grows. */
  next(): number {
    const base = this.currentMs;
    this.currentMs = Math.min(this.options.maxMs, this.currentMs * this.factor);
    return this.jitter === 0 ? base : base - base * this.jitter * this.random();
  }

  /** After a success: the next delay is `initialMs` again. */
  reset(): void {
    this.currentMs = this.options.initialMs;
  }
}
