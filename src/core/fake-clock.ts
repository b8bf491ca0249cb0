import type { Clock, TimerHandle } from './clock.js';

interface FakeTimer {
  readonly id: number;
  at: number;
  readonly fn: () => void;
  readonly intervalMs: number | null;
}

/**
 * A deterministic clock for tests and the gossip simulator: time moves only when
 * {@link advance} is called, and due timers fire in time order.
 */
export class FakeClock implements Clock {
  private now: number;
  private nextId = 1;
  private timers = new Map<number, FakeTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null);
  }

  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    return this.add(fn, intervalMs, Math.max(1, intervalMs));
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as { id: number }).id);
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** Number of pending timers (to show nothing leaks). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timers.values()) if (t.at <= target && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      this.now = Math.max(this.now, next.at);
      if (next.intervalMs === null) this.timers.delete(next.id);
      else next.at += next.intervalMs;
      next.fn();
    }
    this.now = target;
  }

  /** Advances in steps, letting promise callbacks run between steps. */
  async advanceAsync(ms: number, stepMs = 10): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      this.advance(Math.min(stepMs, ms - done));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private add(fn: () => void, delayMs: number, intervalMs: number | null): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, at: this.now + Math.max(0, delayMs), fn, intervalMs };
    this.timers.set(timer.id, timer);
    return { id: timer.id };
  }
}
