import type { Clock, TimerHandle } from '../core/index.js';

/**
 * Sweeps per shortest timeout: a timeout fires up to 1/8 late (the HTTP pool's 4 s idle
 * timeout by at most 0.5 s, still below Node's 5 s server keep-alive).
 */
const SWEEPS_PER_TIMEOUT = 8;

/** Whole sweeps of `everyMs` in `ms`, rounded up: a timeout of `ms` has passed after this many. */
export function sweepsIn(ms: number, everyMs: number): number {
  return Math.ceil(ms / everyMs);
}

/**
 * The one interval a forwarder checks its timeouts with (no timer per socket or request),
 * running only while connections are open: `start()` on each new connection (once running,
 * it costs nothing), and the sweep stops it by returning false when nothing is left to watch.
 * An idle frontend holds no timer.
 */
export class TimeoutSweep {
  /** Time between sweeps: the shortest timeout watched, divided by 8. */
  readonly everyMs: number;
  private handle: TimerHandle | undefined = undefined;

  constructor(
    private readonly clock: Clock,
    /** The timeouts the sweep checks, in ms. */
    timeoutsMs: readonly number[],
    /** One sweep; false stops the interval (until the next `start()`). */
    private readonly sweep: () => boolean,
  ) {
    this.everyMs = Math.max(1, Math.min(...timeoutsMs) / SWEEPS_PER_TIMEOUT);
  }

  /** Sweeps after which a timeout of `ms` has passed. */
  sweepsIn(ms: number): number {
    return sweepsIn(ms, this.everyMs);
  }

  start(): void {
    this.handle ??= this.clock.setInterval(() => {
      if (!this.sweep()) this.stop();
    }, this.everyMs);
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.clock.clearInterval(this.handle);
    this.handle = undefined;
  }
}
