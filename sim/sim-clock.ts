/**
 * The simulator's clock: core's {@link FakeClock} (simulated time, a binary-heap timer queue,
 * ties fired in scheduling order, so one seed always gives the same run) driven by an async run
 * loop.
 *
 * The protocol uses promises for streams (push/pull, TCP fallback pings), so the run loop lets
 * pending promise callbacks run (one macrotask turn: `setImmediate`) after the timers of each
 * `microtaskQuantumMs` slice of simulated time have fired. A callback therefore runs at most
 * one quantum of simulated time after the timer that resolved it (0 with the default 1 ms and
 * whole-millisecond latencies), which is the simulated cost of a turn of the event loop.
 */
import { BugError, FakeClock, type Clock, type TimerHandle } from '../src/core/index.js';

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
  /** The timers and the time: core's FakeClock, which this drives slice by slice. */
  private readonly timers: FakeClock;
  private readonly quantumMs: number;
  private running = false;

  constructor(options: SimClockOptions = {}) {
    this.timers = new FakeClock(options.startMs ?? 1_000_000);
    this.quantumMs = options.microtaskQuantumMs ?? 1;
    if (!(this.quantumMs > 0)) throw new BugError(`microtaskQuantumMs must be > 0, not ${this.quantumMs}`);
  }

  nowMs(): number {
    return this.timers.nowMs();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return this.timers.setTimeout(fn, delayMs);
  }

  /**
   * As setTimeout, but the run loop lets promise callbacks run right after this timer fires
   * (the simulator's stall ends use it: a blocked node's late timers and their callbacks run
   * before the I/O that waited for it, as in Node's timers phase).
   */
  setTimeoutYielding(fn: () => void, delayMs: number): TimerHandle {
    return this.timers.setTimeoutYielding(fn, delayMs);
  }

  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    return this.timers.setInterval(fn, intervalMs);
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.clearTimeout(handle);
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.clearInterval(handle);
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.pendingTimers;
  }

  /** Timers fired since the clock was made (a cost measure for the simulator's reports). */
  get firedTimers(): number {
    return this.timers.firedTimers;
  }

  /** Due time of the next timer, or undefined when none is pending. */
  get nextDueMs(): number | undefined {
    return this.timers.nextDueMs;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.timers.nowMs() + ms);
  }

  /**
   * Fires every timer due at or before `targetMs` in (time, scheduling) order, letting promise
   * callbacks run after each quantum, then sets the time to `targetMs`.
   */
  async runUntil(targetMs: number): Promise<void> {
    if (this.running) throw new BugError('SimClock.runUntil called while the clock is already running');
    this.running = true;
    const timers = this.timers;
    try {
      for (;;) {
        const first = timers.nextDueMs;
        if (first === undefined || first > targetMs) break;
        // This slice: timers due before the next multiple of the quantum (and not after the target).
        const sliceEndMs = (Math.floor(first / this.quantumMs) + 1) * this.quantumMs;
        for (;;) {
          const due = timers.nextDueMs;
          if (due === undefined || due >= sliceEndMs) break;
          const fired = timers.fireNext(targetMs);
          if (fired === undefined || fired.yieldAfter) break;
        }
        await setImmediatePromise();
      }
      timers.advanceTo(targetMs);
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs until `done()` returns true (checked after each step of `stepMs`) or `maxMs` of
   * simulated time have passed. Returns true when `done()` held.
   */
  async runWhile(notDone: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    const end = this.timers.nowMs() + maxMs;
    while (notDone()) {
      if (this.timers.nowMs() >= end) return false;
      await this.runUntil(Math.min(end, this.timers.nowMs() + stepMs));
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
}
