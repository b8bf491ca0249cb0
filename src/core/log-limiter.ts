import type { Clock } from './clock.js';

/**
 * Decides when a repeated log line may be written: the first `linesPerWindow` occurrences of a
 * window at once, then none until `intervalMs` has passed since the window opened; the next
 * line written carries how many were held back. Keeps a peer that floods junk (or a page that
 * loops refused POSTs) from flooding the log, while the first lines of an attack always show.
 */
export class LogLimiter {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private usedInWindow = 0;
  private held = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    /** Lines let through per window. Default 1: one line per interval. */
    private readonly linesPerWindow = 1,
  ) {}

  /**
   * Records one occurrence. Returns the number held back since the last line written (0 or
   * more) when this one should be logged, or `undefined` when it should be held back.
   */
  take(): number | undefined {
    const now = this.clock.nowMs();
    if (now - this.windowStartMs >= this.intervalMs) {
      this.windowStartMs = now;
      this.usedInWindow = 0;
    }
    if (this.usedInWindow >= this.linesPerWindow) {
      this.held++;
      return undefined;
    }
    this.usedInWindow++;
    const held = this.held;
    this.held = 0;
    return held;
  }
}

/**
 * A {@link LogLimiter} per key (a peer address, a drop reason), so one noisy source does not
 * silence the others. At most `maxKeys` keys are remembered (the oldest is forgotten first),
 * so a flood of spoofed source addresses cannot grow it without bound.
 */
export class KeyedLogLimiter {
  private readonly limiters = new Map<string, LogLimiter>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly maxKeys = 1024,
  ) {}

  /** As {@link LogLimiter.take}, for `key`. */
  take(key: string): number | undefined {
    let limiter = this.limiters.get(key);
    if (limiter === undefined) {
      if (this.limiters.size >= this.maxKeys) {
        const oldest = this.limiters.keys().next().value;
        if (oldest !== undefined) this.limiters.delete(oldest);
      }
      limiter = new LogLimiter(this.clock, this.intervalMs);
      this.limiters.set(key, limiter);
    }
    return limiter.take();
  }
}
