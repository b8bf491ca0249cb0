import type { Clock } from '../../core/index.js';

/** Passive outlier detection settings (Envoy's consecutive-errors ejection, simplified). */
export interface OutlierOptions {
  /** Consecutive connect failures or 5xx responses that eject an endpoint. Default 5 (Envoy's consecutive_5xx). */
  readonly consecutiveFailures?: number;
  /** First ejection period; doubles with each further ejection. Default 30000 (Envoy's base_ejection_time). */
  readonly baseEjectionMs?: number;
  /** Longest ejection period. Default 300000 (Envoy's max_ejection_time). */
  readonly maxEjectionMs?: number;
}

export const OUTLIER_DEFAULTS = { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000 } as const satisfies Required<OutlierOptions>;

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

  success(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    e.consecutive = 0;
    // Healthy for a whole maximum period after the last ejection: forget the ejection history.
    if (e.ejectedUntil !== 0 && this.clock.nowMs() - e.ejectedUntil > this.maxMs) this.entries.delete(key);
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
