import { Emitter, type Clock, type Event, type TimerHandle } from '../core/index.js';
import { encodeService, lifespans, serviceJsonTemplate, serviceJsonWithUpdated, type Service, type ServiceJsonTemplate } from '../catalog/index.js';

/**
 * Records handed to gossip in one timer turn. A larger batch goes out in slices of this many
 * on consecutive turns: 10,000 local services at once (each announce, and the minute's
 * refresh) stalled the event loop 110 ms while they were encoded (bench/catalog-scale.ts).
 */
export const MAX_RECORDS_PER_TURN = 500;

/** The gossip queue key of a record: a newer record of the same host and ID replaces a queued older one. */
export function broadcastKey(svc: Service): string {
  return `${svc.hostname}/${svc.id}`;
}

/** One record of one timed send, as gossip carries it. */
export interface OutgoingRecord {
  /** The record as handed to send() (its `Updated` without this repeat's bump). */
  readonly service: Service;
  readonly key: string;
  /** The compact Service JSON of this repeat (with the bump). */
  readonly json: string;
}

/** A record of a batch being repeated: encoded at its first send, then only its `Updated` changes. */
interface Pending {
  readonly service: Service;
  template: ServiceJsonTemplate | undefined;
}

/**
 * Sends a batch of records to gossip a number of times, {@link lifespans.RETRANSMIT_INTERVAL_MS}
 * apart. Repeat n carries `Updated` + 50 ns × n so peers treat each repeat as newer and relay
 * it on. By default the first send is one interval from now (the Go Sidecar's schedule);
 * `startNow` sends the first copy at once, for a change this host just made (issue #16: a
 * change reaches the other hosts in one gossip round, not one second later). Each record is
 * encoded once per batch (at its first send); the repeats only rewrite its `Updated`.
 */
export class BroadcastScheduler {
  private readonly batches = new Emitter<readonly Service[]>();
  private readonly outgoing = new Emitter<readonly OutgoingRecord[]>();
  private readonly timers = new Set<TimerHandle>();
  /** The next slice of a large batch, one per batch being sliced. */
  private readonly sliceTimers = new Set<TimerHandle>();
  private closed = false;

  /** One timed send of a batch, as records (for observers; the copies are made only when one listens). */
  readonly onDidBroadcast: Event<readonly Service[]> = this.batches.event;
  /** One timed send of a batch, encoded: the replicator hands each record to gossip. */
  readonly onDidSend: Event<readonly OutgoingRecord[]> = this.outgoing.event;

  /**
   * `encode`: a record's compact JSON; the agent passes the state's cached encoding
   * (ServicesState.json), so a record merged and announced is encoded once for both.
   */
  constructor(
    private readonly clock: Clock,
    private readonly encode: (svc: Service) => string = encodeService,
  ) {}

  /** `repeats` sends in all; with `startNow` the first goes at once, else one interval from now. */
  send(services: readonly Service[], repeats: number, startNow = false): void {
    if (this.closed || services.length === 0 || repeats < 1) return;
    const batch: Pending[] = services.map((service) => ({ service, template: undefined }));
    let sent = 0;
    if (startNow) {
      this.fireInSlices(batch, 0n, 0);
      sent++;
      if (sent >= repeats) return;
    }
    const handle = this.clock.setInterval(() => {
      this.fireInSlices(batch, lifespans.REPEAT_BUMP_NS * BigInt(sent), 0);
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
    this.outgoing.dispose();
  }

  /** Fires `records` from `offset` on, at most MAX_RECORDS_PER_TURN per timer turn. */
  private fireInSlices(records: readonly Pending[], bump: bigint, offset: number): void {
    const end = Math.min(records.length, offset + MAX_RECORDS_PER_TURN);
    this.fire(offset === 0 && end === records.length ? records : records.slice(offset, end), bump);
    if (end >= records.length || this.closed) return;
    const handle = this.clock.setTimeout(() => {
      this.sliceTimers.delete(handle);
      this.fireInSlices(records, bump, end);
    }, 0);
    this.sliceTimers.add(handle);
  }

  private fire(slice: readonly Pending[], bump: bigint): void {
    if (this.batches.hasListeners) {
      this.batches.fire(slice.map((p) => (bump === 0n ? p.service : { ...p.service, updated: p.service.updated + bump })));
    }
    if (!this.outgoing.hasListeners) return;
    this.outgoing.fire(
      slice.map((p) => {
        p.template ??= serviceJsonTemplate(p.service, this.encode(p.service));
        return { service: p.service, key: broadcastKey(p.service), json: serviceJsonWithUpdated(p.template, p.service.updated + bump) };
      }),
    );
  }
}
