/**
 * The seam between membership and what rides on it (memberlist's Delegate). membership never
 * imports the catalog: the Sidecar layer in `replication/` implements {@link MembershipDelegate}
 * and talks to the cluster through {@link GossipCluster}.
 */
import type { Event } from '../../core/index.js';
import type { Member } from './members.js';

export interface MembershipDelegate {
  /** This node's metadata for alive messages; at most `limitBytes` (memberlist NodeMeta). */
  nodeMeta(limitBytes: number): Uint8Array;
  /** A user message arrived, by UDP or TCP (memberlist NotifyMsg). Must not throw. */
  notifyMessage(payload: Uint8Array): void;
  /** Our full state for a push/pull (memberlist LocalState). */
  localState(join: boolean): Uint8Array;
  /** A peer's full state from a push/pull (memberlist MergeRemoteState). Must not throw. */
  mergeRemoteState(state: Uint8Array, join: boolean): void;
}

/** What the layer above sees of the cluster. */
export interface GossipCluster {
  /** Our node name. */
  readonly localName: string;
  /**
   * Gossips a user message to the whole cluster: piggy-backed on probes and gossip rounds and
   * sent a limited number of times (memberlist's transmit-limited queue); a queued message
   * with the same `key` is replaced. A message too large for one UDP packet goes over TCP
   * instead of starving the queue.
   */
  broadcast(payload: Uint8Array, key?: string): void;
  /** Members currently alive or suspect, ourselves included. */
  liveMembers(): Member[];
  /** Every known member, including dead and left ones not yet forgotten. */
  members(): Member[];
  /** Re-reads our metadata from the delegate and gossips it (memberlist UpdateNode). */
  updateMeta(): void;
  /** A node became alive after being unknown, dead or left. */
  readonly onDidJoin: Event<Member>;
  /** A node was declared dead or left gracefully. */
  readonly onDidLeave: Event<Member>;
  /** An alive node's metadata changed. */
  readonly onDidUpdate: Event<Member>;
}
