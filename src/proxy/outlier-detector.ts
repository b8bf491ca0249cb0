import type { Clock } from '../core/index.js';

/**
 * Passive outlier detection settings (Envoy's consecutive-errors ejection, simplified).
 *
 * The ejection periods are shorter than Envoy's (30 s base, 5 min max) on purpose: here an
 * ejection is only a guess from passive signals, and the health check has the last word.
 * When the health check passes again (the instance re-enters the route after being
 * UNHEALTHY, UNKNOWN or DRAINING, or its host stops being suspect), `forgive()` ends the
 * ejection at once, like Envoy's `successful_active_health_check_uneject_host`. The timer only
 * matters when the health check never saw the outage (a restart shorter than its 3 s interval):
 * then Envoy's 30 s to 5 min kept a restarted backend idle for minutes (issue #11 row 8).
 */
export interface OutlierOptions {
  /** Consecutive connect failures, 5xx responses or server time-outs that eject an endpoint. Default 5 (Envoy's consecutive_5xx). */
  readonly consecutiveFailures?: number;
  /**
   * First ejection period; doubles with each further ejection. Default 10000: a backend
   * restarted behind the health check's back is back within 10 s.
   */
  readonly baseEjectionMs?: number;
  /**
   * Longest ejection period. Default 30000: a restarted backend waits at most 30 s; one that
   * is still broken costs at most 5 failed tries per 30 s per frontend (connect failures are
   * retried on another endpoint, so clients do not see those).
   */
  readonly maxEjectionMs?: number;
}

export const OUTLIER_DEFAULTS = { consecutiveFailures: 5, baseEjectionMs: 10_000, maxEjectionMs: 30_000 } as const satisfies Required<OutlierOptions>;

export interface OutlierState {
  readonly consecutiveFailures: number;
  /** Times this endpoint was ejected. */
  readonly ejections: number;
  /** Wall-clock ms until which it is skipped; 0 when not ejected. */
  readonly ejectedUntilMs: number;
}

interface Entry {
  consecutive: number;
  ejections: number;
  ejectedUntil: number;
}

/**
 * Counts consecutive failures per endpoint key and ejects an endpoint for a back-off period
 * (base × 2^(n−1), capped). The caller must fall back to ejected endpoints when nothing else is
 * left, so a route never loses all of its endpoints to ejection.
 */
export class OutlierDetector {
  private readonly entries = new Map<string, Entry>();
  private readonly threshold: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(
    private readonly clock: Clock,
    options: OutlierOptions = {},
  ) {
    this.threshold = options.consecutiveFailures ?? OUTLIER_DEFAULTS.consecutiveFailures;
    this.baseMs = options.baseEjectionMs ?? OUTLIER_DEFAULTS.baseEjectionMs;
    this.maxMs = options.maxEjectionMs ?? OUTLIER_DEFAULTS.maxEjectionMs;
  }

  /** True while `key` is ejected. Cheap: one map lookup when nothing failed. */
  isEjected(key: string): boolean {
    const e = this.entries.get(key);
    return e !== undefined && e.ejectedUntil !== 0 && this.clock.nowMs() < e.ejectedUntil;
  }

  /** Records a failure; returns true when it ejected the endpoint. */
  failure(key: string): boolean {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { consecutive: 0, ejections: 0, ejectedUntil: 0 };
      this.entries.set(key, e);
    }
    const now = this.clock.nowMs();
    if (e.ejectedUntil !== 0 && now < e.ejectedUntil) return false; // already out (a fallback pick)
    e.consecutive++;
    if (e.consecutive < this.threshold) return false;
    e.ejections++;
    e.consecutive = 0;
    e.ejectedUntil = now + Math.min(this.maxMs, this.baseMs * 2 ** Math.min(e.ejections - 1, 20));
    return true;
  }

  /**
   * Takes over an ejection decided elsewhere (another worker thread's detector): `key` is
   * skipped until `untilMs`. Not counted as an ejection here. True if it extended the ejection.
   */
  adopt(key: string, untilMs: number): boolean {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { consecutive: 0, ejections: 0, ejectedUntil: 0 };
      this.entries.set(key, e);
    }
    if (untilMs <= e.ejectedUntil) return false;
    e.consecutive = 0;
    e.ejectedUntil = untilMs;
    return true;
  }

  success(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    e.consecutive = 0;
    // Healthy for a whole maximum period after the last ejection: forget the ejection history.
    if (e.ejectedUntil !== 0 && this.clock.nowMs() - e.ejectedUntil > this.maxMs) this.entries.delete(key);
  }

  /**
   * Ends `key`'s ejection and forgets its history (the next ejection starts at the base
   * period again): its health check passed, so whatever the passive signals saw is over.
   */
  forgive(key: string): void {
    this.entries.delete(key);
  }

  state(key: string): OutlierState | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    const ejected = e.ejectedUntil !== 0 && this.clock.nowMs() < e.ejectedUntil;
    return { consecutiveFailures: e.consecutive, ejections: e.ejections, ejectedUntilMs: ejected ? e.ejectedUntil : 0 };
  }

  /** Drops state of keys no longer routed. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.entries.keys()) if (!keep(key)) this.entries.delete(key);
  }
}
