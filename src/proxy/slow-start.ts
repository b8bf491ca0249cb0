import type { Clock } from '../core/index.js';
import type { Endpoint } from './routing-table.js';
import type { RoundRobin } from './round-robin.js';

/**
 * Slow start: an endpoint that just joined a route (it became ALIVE, or came back after being
 * UNHEALTHY or DRAINING) gets a share of new work that grows linearly from 0 to its full
 * round-robin share over `windowMs`, so a cold instance (empty caches, JIT not warm) is not
 * hit with its whole share at once. Skipping is probabilistic and never refuses every
 * endpoint: when the warm-up would skip all of them, plain round robin decides.
 */
export class SlowStartPicker {
  /** Join time (ms) of endpoints still warming up, by key. */
  private warming = new Map<string, number>();

  constructor(
    readonly rotation: RoundRobin,
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Marks endpoints as joining now (their keys were not in the route before). */
  join(keys: Iterable<string>): void {
    if (this.windowMs <= 0) return;
    const now = this.clock.nowMs();
    for (const key of keys) this.warming.set(key, now);
  }

  /** Forgets endpoints that left the route. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.warming.keys()) if (!keys.has(key)) this.warming.delete(key);
  }

  next(skip?: (e: Endpoint) => boolean): Endpoint | undefined {
    // Fast path (the steady state): nothing warming, plain round robin, no allocation.
    if (this.warming.size === 0) return this.rotation.next(skip);
    const now = this.clock.nowMs();
    const picked = this.rotation.next((e) => (skip !== undefined && skip(e)) || this.holdBack(e.key, now));
    return picked ?? this.rotation.next(skip);
  }

  /**
   * Keys still warming up (for stats). Keys whose window has passed are dropped here too:
   * `holdBack` only forgets a key when a request visits it, so a quiet route would otherwise
   * report an endpoint as warming long after its window.
   */
  warmingKeys(): string[] {
    const now = this.clock.nowMs();
    for (const [key, since] of this.warming) if (now - since >= this.windowMs) this.warming.delete(key);
    return [...this.warming.keys()];
  }

  private holdBack(key: string, now: number): boolean {
    const since = this.warming.get(key);
    if (since === undefined) return false;
    const progress = (now - since) / this.windowMs;
    if (progress >= 1) {
      this.warming.delete(key);
      return false;
    }
    return this.random() >= progress;
  }
}
