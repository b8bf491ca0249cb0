import { Emitter, type Clock, type Event, type TimerHandle } from '../core/index.js';
import { REPEAT_BUMP_NS, RETRANSMIT_INTERVAL_MS } from './lifespans.js';
import type { Service } from './service.js';

/**
 * Sends a batch of records to gossip a number of times, {@link RETRANSMIT_INTERVAL_MS}
 * apart, starting one interval from now. Repeat n carries `Updated` + 50 ns × n so peers
 * treat each repeat as newer and relay it on.
 */
export class BroadcastScheduler {
  private readonly batches = new Emitter<readonly Service[]>();
  private readonly timers = new Set<TimerHandle>();
  private closed = false;

  /** One timed send of a batch; the membership layer gossips it. */
  readonly onDidBroadcast: Event<readonly Service[]> = this.batches.event;

  constructor(private readonly clock: Clock) {}

  send(services: readonly Service[], repeats: number): void {
    if (this.closed || services.length === 0 || repeats < 1) return;
    const batch = [...services];
    let sent = 0;
    const handle = this.clock.setInterval(() => {
      const bump = REPEAT_BUMP_NS * BigInt(sent);
      this.batches.fire(bump === 0n ? batch : batch.map((svc) => ({ ...svc, updated: svc.updated + bump })));
      sent++;
      if (sent >= repeats) {
        this.clock.clearInterval(handle);
        this.timers.delete(handle);
      }
    }, RETRANSMIT_INTERVAL_MS);
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
    this.batches.dispose();
  }
}
