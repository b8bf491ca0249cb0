/**
 * The two transmit-limited queues a node gossips from: membership messages (alive, suspect,
 * dead, named by node) first, then user messages (the delegate's, e.g. Sidecar's service
 * records) in the space left.
 */
import { BroadcastQueue } from './broadcast-queue.js';
import { COMPOUND_PART_OVERHEAD_BYTES } from '../wire/wire-codec.js';

export interface GossipQueuesOptions {
  readonly numNodes: () => number;
  /** Transmits of membership messages scale with this (memberlist RetransmitMult). */
  readonly retransmitMult: number;
  /** Transmits of user messages scale with this. */
  readonly userRetransmitMult: number;
}

export class GossipQueues {
  readonly members: BroadcastQueue;
  readonly users: BroadcastQueue;

  constructor(options: GossipQueuesOptions) {
    this.members = new BroadcastQueue({ numNodes: options.numNodes, retransmitMult: options.retransmitMult });
    this.users = new BroadcastQueue({ numNodes: options.numNodes, retransmitMult: options.userRetransmitMult });
  }

  get isEmpty(): boolean {
    return this.members.size === 0 && this.users.size === 0;
  }

  /** Messages fitting `limitBytes` at `overheadBytes` each, membership messages first. */
  take(overheadBytes: number, limitBytes: number): Uint8Array[] {
    if (this.isEmpty) return [];
    const first = this.members.getBroadcasts(overheadBytes, limitBytes);
    let used = 0;
    for (const m of first) used += m.length + overheadBytes;
    const rest = this.users.getBroadcasts(overheadBytes, limitBytes - used);
    return rest.length === 0 ? first : first.concat(rest);
  }

  reset(): void {
    this.members.reset();
    this.users.reset();
  }
}

/** Splits messages into groups that fit `packetBytes` each as a compound. */
export function packBatches(messages: readonly Uint8Array[], packetBytes: number): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let batch: Uint8Array[] = [];
  let used = 0;
  for (const m of messages) {
    const cost = m.length + COMPOUND_PART_OVERHEAD_BYTES;
    if (batch.length > 0 && used + cost > packetBytes) {
      out.push(batch);
      batch = [];
      used = 0;
    }
    batch.push(m);
    used += cost;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
