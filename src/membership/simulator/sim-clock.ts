/**
 * The simulator's clock: simulated time that moves only when the run loop moves it, with a
 * binary-heap timer queue (core's FakeClock scans every timer per step, too slow for thousands
 * of nodes with several timers each). Timers due at the same time fire in the order they were
 * scheduled, so one seed always gives the same run.
 *
 * The protocol uses promises for streams (push/pull, TCP fallback pings), so the run loop lets
 * pending promise callbacks run (one macrotask turn: `setImmediate`) after the timers of each
 * `microtaskQuantumMs` slice of simulated time have fired. A callback therefore runs at most
 * one quantum of simulated time after the timer that resolved it (0 with the default 1 ms and
 * whole-millisecond latencies), which is the simulated cost of a turn of the event loop.
 */
import { BugError, type Clock, type TimerHandle } from '../../core/index.js';
import { TimerHeap, type HeapTimer } from './timer-heap.js';

interface SimTimer extends HeapTimer {
  readonly fn: () => void;
  /** Repeat period for intervals; null for one-shot timers. */
  readonly intervalMs: number | null;
  /** Let promise callbacks run right after this timer, before any other timer at this time. */
  readonly yieldAfter: boolean;
}

export interface SimClockOptions {
  /**
   * Clock time at the start, in ms. Default 1_000_000 (1,000 s after the epoch): a small
   * whole number keeps timestamps in V8's small-integer range, which saves one heap number
   * per member record (millions of them in a 5,000-node run).
   */
  readonly startMs?: number;
  /**
   * Promise callbacks run after the timers of each slice this long have fired, in ms.
   * Default 1: with whole-millisecond latencies every distinct time is its own slice.
   */
  readonly microtaskQuantumMs?: number;
}

const setImmediatePromise = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class SimClock implements Clock {
  private now: number;
  private seq = 0;
  private readonly heap = new TimerHeap<SimTimer>();
  private readonly quantumMs: number;
  private running = false;
  private fired = 0;

  constructor(options: SimClockOptions = {}) {
    this.now = options.startMs ?? 1_000_000;
    this.quantumMs = options.microtaskQuantumMs ?? 1;
    if (!(this.quantumMs > 0)) throw new BugError(`microtaskQuantumMs must be > 0, not ${this.quantumMs}`);
  }

  nowMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null, false);
  }

  /**
   * As setTimeout, but the run loop lets promise callbacks run right after this timer fires
   * (the simulator's stall ends use it: a blocked node's late timers and their callbacks run
   * before the I/O that waited for it, as in Node's timers phase).
   */
  setTimeoutYielding(fn: () => void, delayMs: number): TimerHandle {
    return this.add(fn, delayMs, null, true);
  }

  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    return this.add(fn, intervalMs, Math.max(1, intervalMs), false);
  }

  clearTimeout(handle: TimerHandle): void {
    this.heap.cancel(handle as SimTimer);
  }

  clearInterval(handle: TimerHandle): void {
    this.heap.cancel(handle as SimTimer);
  }

  /** Timers scheduled and not yet fired or cancelled. */
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

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.now + ms);
  }

  /**
   * Fires every timer due at or before `targetMs` in (time, scheduling) order, letting promise
   * callbacks run after each quantum, then sets the time to `targetMs`.
   */
  async runUntil(targetMs: number): Promise<void> {
    if (this.running) throw new BugError('SimClock.runUntil called while the clock is already running');
    this.running = true;
    try {
      for (;;) {
        const first = this.heap.peek();
        if (first === undefined || first.at > targetMs) break;
        // This slice: timers due before the next multiple of the quantum (and not after the target).
        const sliceEndMs = (Math.floor(first.at / this.quantumMs) + 1) * this.quantumMs;
        for (;;) {
          const next = this.heap.peek();
          if (next === undefined || next.at >= sliceEndMs || next.at > targetMs) break;
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
          if (next.yieldAfter) break;
        }
        await setImmediatePromise();
      }
      if (targetMs > this.now) this.now = targetMs;
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs until `done()` returns true (checked after each step of `stepMs`) or `maxMs` of
   * simulated time have passed. Returns true when `done()` held.
   */
  async runWhile(notDone: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    const end = this.now + maxMs;
    while (notDone()) {
      if (this.now >= end) return false;
      await this.runUntil(Math.min(end, this.now + stepMs));
    }
    return true;
  }

  /** Runs the clock until `promise` settles (or `maxMs` pass: then rejects). */
  async runUntilSettled<T>(promise: Promise<T>, maxMs: number, stepMs = 10): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    const ok = await this.runWhile(() => !settled, maxMs, stepMs);
    if (!ok) {
      watched.catch(() => undefined);
      throw new BugError(`operation did not finish within ${maxMs} ms of simulated time`);
    }
    return watched;
  }

  private add(fn: () => void, delayMs: number, intervalMs: number | null, yieldAfter: boolean): SimTimer {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: SimTimer = { at: this.now + delay, seq: this.seq++, cancelled: false, queued: false, fn, intervalMs, yieldAfter };
    this.heap.push(timer);
    return timer;
  }
}
