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
  readonly key: string;
  template: ServiceJsonTemplate | undefined;
}

/**
 * Sends a batch of records to gossip a number of times, {@link lifespans.RETRANSMIT_INTERVAL_MS}
 * apart. Repeat n carries `Updated` + 50 ns × n so peers treat each repeat as newer and relay
 * it on. By default the first send is one interval from now (the Go Sidecar's schedule);
 * `startNow` sends the first copy at once, for a change this host just made (issue #16: a
 * change reaches the other hosts in one gossip round, not one second later). Each record is
 * encoded once per batch (at its first send); the repeats only rewrite its `Updated`.
 *
 * Only the newest record of a key ({@link broadcastKey}) is repeated. Gossip's queue keeps one
 * message per key, the last one handed to it whatever its age, so a repeat of a record that a
 * newer one has replaced would push the newer one out of the queue, and peers would learn the
 * change only from its own next repeat, up to a second later (the Kubernetes multi-host test
 * saw 1–4 s in 11 of 80 readiness flips). So a record handed to send() takes over its key: the
 * older record's remaining repeats are dropped (a batch with none left stops), and a record
 * older than the one still being repeated for its key is not sent at all. Equal `Updated`: the
 * later hand-off takes over. A newer record gossiped outside the scheduler (a relay) ends the
 * repeats too ({@link supersede}). A key is tracked only while a batch holding its newest
 * record is pending, so the bookkeeping never outgrows the batches in flight.
 */
export class BroadcastScheduler {
  private readonly batches = new Emitter<readonly Service[]>();
  private readonly outgoing = new Emitter<readonly OutgoingRecord[]>();
  private readonly timers = new Set<TimerHandle>();
  /** The next slice of a large batch, one per batch being sliced. */
  private readonly sliceTimers = new Set<TimerHandle>();
  /** The record being repeated for each key, while a batch holding it is pending. */
  private readonly newest = new Map<string, Pending>();
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

  /**
   * `repeats` sends in all; with `startNow` the first goes at once, else one interval from now.
   * Each record takes over its key from an older one still being repeated; one older than the
   * record being repeated for its key is left out.
   */
  send(services: readonly Service[], repeats: number, startNow = false): void {
    if (this.closed || repeats < 1) return;
    const batch = this.takeOver(services);
    if (batch.length === 0) return;
    let sent = 0;
    if (startNow) {
      sent++;
      this.fireInSlices(batch, 0n, 0, sent >= repeats);
      if (sent >= repeats) return;
    }
    const handle = this.clock.setInterval(() => {
      const bump = lifespans.REPEAT_BUMP_NS * BigInt(sent);
      sent++;
      const last = sent >= repeats || !batch.some((p) => this.newest.get(p.key) === p);
      if (last) {
        this.clock.clearInterval(handle);
        this.timers.delete(handle);
      }
      this.fireInSlices(batch, bump, 0, last);
    }, lifespans.RETRANSMIT_INTERVAL_MS);
    this.timers.add(handle);
  }

  /**
   * `svc` went to gossip another way (the replicator's relays and re-announces): the repeats of
   * older records of its key end, as if it had been handed to send().
   */
  supersede(svc: Service): void {
    const key = broadcastKey(svc);
    const current = this.newest.get(key);
    if (current !== undefined && current.service.updated < svc.updated) this.newest.delete(key);
  }

  /** Batches still being repeated. */
  get pending(): number {
    return this.timers.size;
  }

  /** Keys whose newest record is still being repeated (bounded by the pending batches; for tests). */
  get trackedKeys(): number {
    return this.newest.size;
  }

  close(): void {
    this.closed = true;
    for (const handle of this.timers) this.clock.clearInterval(handle);
    this.timers.clear();
    for (const handle of this.sliceTimers) this.clock.clearTimeout(handle);
    this.sliceTimers.clear();
    this.newest.clear();
    this.batches.dispose();
    this.outgoing.dispose();
  }

  /**
   * The batch's entries, each now the newest of its key; records older than their key's newest
   * are left out. A record twice in one batch (a tombstone's 2 copies) is one entry, twice.
   */
  private takeOver(services: readonly Service[]): Pending[] {
    const batch: Pending[] = [];
    const ours = new Set<Pending>();
    for (const service of services) {
      const key = broadcastKey(service);
      const current = this.newest.get(key);
      if (current !== undefined && current.service.updated > service.updated) continue;
      if (current !== undefined && ours.has(current) && current.service.updated === service.updated) {
        batch.push(current);
        continue;
      }
      const entry: Pending = { service, key, template: undefined };
      this.newest.set(key, entry);
      ours.add(entry);
      batch.push(entry);
    }
    return batch;
  }

  /**
   * Fires `records` from `offset` on, at most MAX_RECORDS_PER_TURN per timer turn. After the
   * `last` send's final slice, the batch's keys are no longer tracked.
   */
  private fireInSlices(records: readonly Pending[], bump: bigint, offset: number, last: boolean): void {
    const end = Math.min(records.length, offset + MAX_RECORDS_PER_TURN);
    this.fire(records, offset, end, bump);
    if (this.closed) return;
    if (end >= records.length) {
      if (last) this.untrack(records);
      return;
    }
    const handle = this.clock.setTimeout(() => {
      this.sliceTimers.delete(handle);
      this.fireInSlices(records, bump, end, last);
    }, 0);
    this.sliceTimers.add(handle);
  }

  private untrack(records: readonly Pending[]): void {
    for (const p of records) if (this.newest.get(p.key) === p) this.newest.delete(p.key);
  }

  /** One send of `records[offset, end)`, without those a newer record of their key has replaced. */
  private fire(records: readonly Pending[], offset: number, end: number, bump: bigint): void {
    const slice: Pending[] = [];
    for (let i = offset; i < end; i++) {
      const p = records[i];
      if (p !== undefined && this.newest.get(p.key) === p) slice.push(p);
    }
    if (slice.length === 0) return;
    if (this.batches.hasListeners) {
      this.batches.fire(slice.map((p) => (bump === 0n ? p.service : { ...p.service, updated: p.service.updated + bump })));
    }
    if (!this.outgoing.hasListeners) return;
    this.outgoing.fire(
      slice.map((p) => {
        p.template ??= serviceJsonTemplate(p.service, this.encode(p.service));
        return { service: p.service, key: p.key, json: serviceJsonWithUpdated(p.template, p.service.updated + bump) };
      }),
    );
  }
}
