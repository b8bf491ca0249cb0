/**
 * One simulated node's view of the {@link SimClock}, with stalls: while the node is stalled
 * (its Node event loop blocked by a long GC or a busy callback), its timers that fall due are
 * held and fire when the stall ends, late, in the order they fell due; `nowMs()` always shows
 * the real time, so the engine's lateness checks (LoopMonitor, the prober's stall grace) see
 * how late they are. An interval blocked for several periods fires once, then keeps its period
 * from then on, as Node's do.
 *
 * The network holds the node's incoming I/O for the same stall (MemoryNetwork.stall); the
 * stall end here is scheduled first, so at the end the held timers (and the promise callbacks
 * they resolve) run before the held I/O, as in Node's timers phase before its poll phase.
 */
import type { Clock, TimerHandle } from '../src/core/index.js';
import type { SimClock } from './sim-clock.js';

interface NodeTimer {
  readonly fn: () => void;
  readonly intervalMs: number | null;
  /** The SimClock timer of the next firing; null while held or after the last firing. */
  handle: TimerHandle | null;
  cleared: boolean;
}

export class NodeClock implements Clock {
  private stalledUntilMs = 0;
  private held: NodeTimer[] = [];
  private stallEnd: TimerHandle | null = null;
  private heldTotal = 0;

  constructor(private readonly sim: SimClock) {}

  nowMs(): number {
    return this.sim.nowMs();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const timer: NodeTimer = { fn, intervalMs: null, handle: null, cleared: false };
    timer.handle = this.sim.setTimeout(() => this.fire(timer), delayMs);
    return timer;
  }

  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    const period = Math.max(1, intervalMs);
    const timer: NodeTimer = { fn, intervalMs: period, handle: null, cleared: false };
    timer.handle = this.sim.setTimeout(() => this.fire(timer), period);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as NodeTimer;
    timer.cleared = true;
    if (timer.handle !== null) this.sim.clearTimeout(timer.handle);
    timer.handle = null;
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** True while the node's event loop is blocked. */
  get isStalled(): boolean {
    return this.stallEnd !== null;
  }

  /** Clock time the current stall ends, in ms (0 when not stalled). */
  get stallEndsAtMs(): number {
    return this.stalledUntilMs;
  }

  /** Timer firings held by stalls so far (for tests and reports). */
  get heldTimers(): number {
    return this.heldTotal;
  }

  /**
   * Blocks this node's timers until clock time `untilMs` (a later call replaces the end; a
   * time not in the future ends the stall now). Call it before MemoryNetwork.stall for the
   * same time, so held timers fire before held I/O.
   */
  stall(untilMs: number): void {
    if (this.stallEnd !== null) this.sim.clearTimeout(this.stallEnd);
    this.stallEnd = null;
    const nowMs = this.sim.nowMs();
    if (untilMs <= nowMs) {
      this.endStall();
      return;
    }
    this.stalledUntilMs = untilMs;
    this.stallEnd = this.sim.setTimeoutYielding(() => this.endStall(), untilMs - nowMs);
  }

  private fire(timer: NodeTimer): void {
    timer.handle = null;
    if (timer.cleared) return;
    if (this.stallEnd !== null) {
      this.held.push(timer);
      this.heldTotal++;
      return;
    }
    this.run(timer);
  }

  private run(timer: NodeTimer): void {
    // An interval's next firing is one period after this one actually ran (Node's rule).
    if (timer.intervalMs !== null) timer.handle = this.sim.setTimeout(() => this.fire(timer), timer.intervalMs);
    timer.fn();
  }

  private endStall(): void {
    this.stallEnd = null;
    this.stalledUntilMs = 0;
    const held = this.held;
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      const timer = held[i] as NodeTimer;
      if (timer.cleared) continue;
      this.run(timer);
      // A callback may stall the node again: keep the rest for that stall, in order.
      if (this.stallEnd !== null) {
        this.held = held.slice(i + 1).concat(this.held);
        return;
      }
    }
  }
}
