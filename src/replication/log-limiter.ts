import type { Clock } from '../core/index.js';

/**
 * Decides when a repeated log line may be written: the first occurrence at once, then at most
 * one per `intervalMs`, each carrying how many were held back since the previous one. Keeps a
 * peer that floods junk from flooding the log.
 */
export class LogLimiter {
  private lastMs: number | undefined;
  private held = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  /**
   * Records one occurrence. Returns the number held back since the last line written (0 or
   * more) when this one should be logged, or `undefined` when it should be held back.
   */
  take(): number | undefined {
    const now = this.clock.nowMs();
    if (this.lastMs !== undefined && now - this.lastMs < this.intervalMs) {
      this.held++;
      return undefined;
    }
    this.lastMs = now;
    const held = this.held;
    this.held = 0;
    return held;
  }
}
