import { Emitter, type Clock, type Event, type TimerHandle } from '../core/index.js';
import { lifespans, type Service } from '../catalog/index.js';

/**
 * Records handed to gossip in one timer turn. A larger batch goes out in slices of this many
 * on consecutive turns: 10,000 local services at once (each announce, and the minute's
 * refresh) stalled the event loop 110 ms while they were encoded (bench/catalog-scale.ts).
 */
export const MAX_RECORDS_PER_TURN = 500;

/**
 * Sends a batch of records to gossip a number of times, {@link lifespans.RETRANSMIT_INTERVAL_MS}
 * apart. Repeat n carries `Updated` + 50 ns × n so peers treat each repeat as newer and relay
 * it on. By default the first send is one interval from now (the Go Sidecar's schedule);
 * `startNow` sends the first copy at once, for a change this host just made (issue #16: a
 * change reaches the other hosts in one gossip round, not one second later).
 */
export class BroadcastScheduler {
  private readonly batches = new Emitter<readonly Service[]>();
  private readonly timers = new Set<TimerHandle>();
  /** The next slice of a large batch, one per batch being sliced. */
  private readonly sliceTimers = new Set<TimerHandle>();
  private closed = false;

  /** One timed send of a batch; the membership layer gossips it. */
  readonly onDidBroadcast: Event<readonly Service[]> = this.batches.event;

  constructor(private readonly clock: Clock) {}

  /** `repeats` sends in all; with `startNow` the first goes at once, else one interval from now. */
  send(services: readonly Service[], repeats: number, startNow = false): void {
    if (this.closed || services.length === 0 || repeats < 1) return;
    const batch = [...services];
    let sent = 0;
    if (startNow) {
      this.fireInSlices(batch, 0);
      sent++;
      if (sent >= repeats) return;
    }
    const handle = this.clock.setInterval(() => {
      const bump = lifespans.REPEAT_BUMP_NS * BigInt(sent);
      this.fireInSlices(bump === 0n ? batch : batch.map((svc) => ({ ...svc, updated: svc.updated + bump })), 0);
      sent++;
      if (sent >= repeats) {
        this.clock.clearInterval(handle);
        this.timers.delete(handle);
      }
    }, lifespans.RETRANSMIT_INTERVAL_MS);
    this.timers.add(handle);
  }

  /** Batches still being repeated. */
  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const handle of this.timers) this.clock.clearInterval(handle);
    this.timers.clear();
    for (const handle of this.sliceTimers) this.clock.clearTimeout(handle);
    this.sliceTimers.clear();
    this.batches.dispose();
  }

  /** Fires `records` from `offset` on, at most MAX_RECORDS_PER_TURN per timer turn. */
  private fireInSlices(records: readonly Service[], offset: number): void {
    if (offset === 0 && records.length <= MAX_RECORDS_PER_TURN) {
      this.batches.fire(records);
      return;
    }
    const end = Math.min(records.length, offset + MAX_RECORDS_PER_TURN);
    this.batches.fire(records.slice(offset, end));
    if (end >= records.length || this.closed) return;
    const handle = this.clock.setTimeout(() => {
      this.sliceTimers.delete(handle);
      this.fireInSlices(records, end);
    }, 0);
    this.sliceTimers.add(handle);
  }
}
