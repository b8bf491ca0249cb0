import type { Clock, TimerHandle } from '../core/index.js';

/**
 * The one interval a forwarder checks its timeouts with, running only while connections are
 * open: `start()` on each new connection (once running, it costs nothing), and the sweep
 * stops it by returning false when nothing is left to watch. An idle listener holds no timer.
 */
export class TimeoutSweep {
  private handle: TimerHandle | undefined = undefined;

  constructor(
    private readonly clock: Clock,
    /** Time between sweeps. */
    readonly everyMs: number,
    /** One sweep; false stops the interval (until the next `start()`). */
    private readonly sweep: () => boolean,
  ) {}

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
