import type { Clock, TimerHandle } from './clock.js';
import { TimerHeap, type HeapTimer } from './timer-heap.js';

/** One pending timer of a {@link FakeClock} (also its handle). */
export interface FakeTimer extends HeapTimer {
  readonly fn: () => void;
  /** Repeat period for intervals; null for one-shot timers. */
  readonly intervalMs: number | null;
  /** Set by {@link FakeClock.setTimeoutYielding}: a run loop lets promise callbacks run right after it. */
  readonly yieldAfter: boolean;
}

/**
 * A deterministic clock for tests and the gossip simulator (sim/, which drives it through
 * {@link fireNext}): time moves only when it is moved, and due timers fire in time order, ties
 * in the order they were scheduled (an interval's next firing counts as scheduled when it
 * fires, as in Node). Timers sit in a binary heap, so thousands of nodes with several timers
 * each stay cheap.
 */
export class FakeClock implements Clock {
  private now: number;
  private seq = 0;
  private fired = 0;
  private readonly heap = new TimerHeap<FakeTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null, false);
  }

  /**
   * As setTimeout, but {@link fireNext} reports it as yielding, so a run loop can let promise
   * callbacks run right after it fires (the simulator's stall ends use it).
   */
  setTimeoutYielding(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null, true);
  }

  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    return this.add(fn, intervalMs, Math.max(1, intervalMs), false);
  }

  clearTimeout(handle: TimerHandle): void {
    this.heap.cancel(handle as FakeTimer);
  }

  clearInterval(handle: TimerHandle): void {
    this.heap.cancel(handle as FakeTimer);
  }

  /** Number of pending timers (to show nothing leaks). */
  get pendingTimers(): number {
    return this.heap.size;
  }

  /** Timers fired since the clock was made (a cost measure for the simulator's reports). */
  get firedTimers(): number {
    return this.fired;
  }

  /** Due time of the next timer, or undefined when none is pending. */
  get nextDueMs(): number | undefined {
    return this.heap.peek()?.at;
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.now + ms;
    while (this.fireNext(target) !== undefined);
    this.now = target;
  }

  /** Moves time to `targetMs` (never back), firing every timer that falls due, in order. */
  advanceTo(targetMs: number): void {
    while (this.fireNext(targetMs) !== undefined);
    if (targetMs > this.now) this.now = targetMs;
  }

  /** Advances in steps, letting promise callbacks run between steps. */
  async advanceAsync(ms: number, stepMs = 10): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      this.advance(Math.min(stepMs, ms - done));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Fires the earliest timer if it is due at or before `limitMs` (time moves to its due time)
   * and returns it; returns undefined, and fires nothing, when none is.
   */
  fireNext(limitMs: number): FakeTimer | undefined {
    const next = this.heap.peek();
    if (next === undefined || next.at > limitMs) return undefined;
    this.heap.pop();
    if (next.at > this.now) this.now = next.at;
    this.fired++;
    if (next.intervalMs !== null) {
      // Same object, so the caller's handle still cancels it.
      next.at += next.intervalMs;
      next.seq = this.seq++;
      this.heap.push(next);
    }
    next.fn();
    return next;
  }

  private add(fn: () => void, delayMs: number, intervalMs: number | null, yieldAfter: boolean): FakeTimer {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: FakeTimer = { at: this.now + delay, seq: this.seq++, cancelled: false, queued: false, fn, intervalMs, yieldAfter };
    this.heap.push(timer);
    return timer;
  }
}
