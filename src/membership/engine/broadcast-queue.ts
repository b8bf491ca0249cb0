/**
 * memberlist's TransmitLimitedQueue (queue.go): messages waiting to be piggy-backed on probes
 * and gossip. Each is sent at most retransmitLimit(mult, n) times; a packet is filled with
 * the least-transmitted messages first (largest first within a tier, then newest), so new
 * news spreads before old news is repeated.
 */
import { retransmitLimit } from './math.js';

export interface Broadcast {
  /** The encoded message (one compound part). */
  readonly message: Uint8Array;
  /**
   * Invalidation key: queuing a broadcast with the same name drops the older one (memberlist
   * uses the node name, so a newer alive/suspect/dead replaces the previous message about the
   * node). Absent for user messages, which never invalidate anything.
   */
  readonly name?: string;
  /** Called once when the broadcast leaves the queue: sent enough, replaced, pruned or reset. */
  readonly finished?: () => void;
}

interface Entry {
  readonly broadcast: Broadcast;
  readonly id: number;
  transmits: number;
}

/** memberlist ordering: fewer transmits first, then longer messages, then newer. */
function compareEntries(a: Entry, b: Entry): number {
  return a.transmits - b.transmits || b.broadcast.message.length - a.broadcast.message.length || b.id - a.id;
}

/** Inserts `entry` into `sorted` (ascending by compareEntries) at its place. */
function insertSorted(sorted: Entry[], entry: Entry): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const other = sorted[mid];
    if (other !== undefined && compareEntries(other, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, entry);
}

export interface BroadcastQueueOptions {
  /** The current cluster size estimate (transmit limit and default bound scale with it). */
  readonly numNodes: () => number;
  /** memberlist RetransmitMult (default 4). */
  readonly retransmitMult: number;
  /**
   * Most broadcasts held; beyond it the most-transmitted (then smallest, then oldest) are
   * dropped. Default max(4096, 2 × numNodes), serf's bound for memberlist's queue.
   */
  readonly maxQueued?: (numNodes: number) => number;
}

export const MIN_QUEUE_DEPTH = 4096;

export class BroadcastQueue {
  private readonly entries = new Set<Entry>();
  private readonly byName = new Map<string, Entry>();
  private nextId = 1;
  /**
   * The entries in drop order (the last is dropped first), kept from one prune to the next
   * while no transmit count changes, so that each queue past the bound costs a binary insert
   * rather than a sort: 10,000 local services announced at once sorted 4,097 entries 5,900
   * times (a 250 ms stall, bench/catalog-scale.ts). May hold removed entries (skipped).
   */
  private dropOrder: Entry[] | null = null;

  constructor(private readonly options: BroadcastQueueOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** Queues a broadcast, replacing any queued one with the same name, then enforces the bound. */
  queue(broadcast: Broadcast): void {
    this.queueWithTransmits(broadcast, 0);
  }

  /** As queue(), but counting it as already sent `transmits` times (memberlist's internal variant). */
  queueWithTransmits(broadcast: Broadcast, transmits: number): void {
    if (broadcast.name !== undefined) {
      const old = this.byName.get(broadcast.name);
      if (old !== undefined) this.remove(old, true);
    }
    const entry: Entry = { broadcast, id: this.nextId++, transmits };
    this.entries.add(entry);
    if (broadcast.name !== undefined) this.byName.set(broadcast.name, entry);
    if (this.dropOrder !== null) {
      // Replaced entries stay in it until popped: drop it when they would outnumber the live ones.
      if (this.dropOrder.length > 2 * this.entries.size) this.dropOrder = null;
      else insertSorted(this.dropOrder, entry);
    }
    const n = this.options.numNodes();
    this.prune(this.options.maxQueued ? this.options.maxQueued(n) : Math.max(MIN_QUEUE_DEPTH, 2 * n));
  }

  /**
   * The messages that fit in `limitBytes` when each costs its length plus `overheadBytes`
   * (the compound part header), least-transmitted first; each returned message counts one
   * transmit and leaves the queue on reaching the transmit limit.
   */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[] {
    if (this.entries.size === 0) return [];
    this.dropOrder = null; // transmit counts change below
    const transmitLimit = retransmitLimit(this.options.retransmitMult, this.options.numNodes());
    const ordered = [...this.entries].sort(compareEntries);
    const out: Uint8Array[] = [];
    let used = 0;
    // Within a tier memberlist repeatedly takes the largest message that still fits; since
    // free space only shrinks, one pass in sorted order taking whatever fits is the same.
    for (const entry of ordered) {
      const free = limitBytes - used - overheadBytes;
      if (free <= 0) break;
      const msg = entry.broadcast.message;
      if (msg.length > free) continue;
      used += overheadBytes + msg.length;
      out.push(msg);
      if (entry.transmits + 1 >= transmitLimit) this.remove(entry, true);
      else entry.transmits += 1;
    }
    return out;
  }

  /** Drops the most-transmitted (then smallest, then oldest) until at most maxRetain remain. */
  prune(maxRetain: number): void {
    if (this.entries.size <= maxRetain) return;
    if (this.dropOrder === null || this.dropOrder.length > 2 * this.entries.size) {
      this.dropOrder = [...this.entries].sort(compareEntries);
    }
    while (this.entries.size > maxRetain) {
      const entry = this.dropOrder.pop();
      if (entry === undefined) break;
      this.remove(entry, true);
    }
  }

  /** Empties the queue, finishing everything. */
  reset(): void {
    this.dropOrder = null;
    for (const entry of [...this.entries]) this.remove(entry, true);
    this.nextId = 1;
  }

  private remove(entry: Entry, finish: boolean): void {
    if (!this.entries.delete(entry)) return;
    const name = entry.broadcast.name;
    if (name !== undefined && this.byName.get(name) === entry) this.byName.delete(name);
    if (finish) entry.broadcast.finished?.();
  }
}
