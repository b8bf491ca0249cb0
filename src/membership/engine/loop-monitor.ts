/**
 * Feeds Lifeguard with Node's own health: a timer that should fire every `periodMs` and, when
 * it fires late, reports the lateness as an event-loop stall (Awareness.noteEventLoopDelayMs).
 * Works on any Clock, so the simulator's stalled nodes see the same signal.
 */
import type { Clock, TimerHandle } from '../../core/index.js';
import type { Awareness } from './awareness.js';

export class LoopMonitor {
  private timer: TimerHandle | null = null;
  private expectedAtMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly awareness: Awareness,
    private readonly periodMs: number,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.expectedAtMs = this.clock.nowMs() + this.periodMs;
    this.timer = this.clock.setInterval(() => {
      const now = this.clock.nowMs();
      this.awareness.noteEventLoopDelayMs(now - this.expectedAtMs);
      this.expectedAtMs = now + this.periodMs;
    }, this.periodMs);
  }

  close(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
  }
}
