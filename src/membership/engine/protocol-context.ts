/**
 * What the protocol's parts (prober, stream exchange, the facade's packet handling) share:
 * one node's settings, state and ways to send. The facade builds it; parts never reach
 * around it.
 */
import type { Clock, Logger } from '../../core/index.js';
import type { AckRegistry } from './ack-registry.js';
import type { Awareness } from './awareness.js';
import type { DropLog } from './drop-log.js';
import type { InboundStreamGate } from '../transports/inbound-stream-gate.js';
import type { MembershipDelegate } from './delegate.js';
import { bytesToIp } from '../wire/ip-bytes.js';
import type { GossipQueues } from './gossip-queues.js';
import type { Member, MemberBroadcast, MemberTable } from './members.js';
import type { MembershipStats } from './membership-stats.js';
import type { MembershipOptions } from './options.js';
import type { PeerAddress, Transport } from '../transports/transport.js';
import type { WireCodec } from '../wire/wire-codec.js';

export interface ProtocolContext {
  readonly localName: string;
  readonly options: MembershipOptions;
  readonly clock: Clock;
  readonly random: () => number;
  readonly table: MemberTable;
  readonly awareness: Awareness;
  readonly codec: WireCodec;
  readonly transport: Transport;
  readonly delegate: MembershipDelegate;
  readonly queues: GossipQueues;
  readonly acks: AckRegistry;
  readonly stats: MembershipStats;
  readonly log: Logger;
  /** Logs dropped packets and streams, rate-limited. */
  readonly drops: DropLog;
  /** Admits the streams peers open to us. */
  readonly inbound: InboundStreamGate;
  /** Our address as memberlist carries it (IP bytes) and our port; set once, when the transport has bound. */
  localAddr: Uint8Array;
  localPort: number;
  /**
   * Sends messages to a peer in as few packets as possible; with `piggyback`, broadcasts ride
   * along in the space left (memberlist sendMsg).
   */
  send(to: PeerAddress, peerMaxProtocol: number, messages: readonly Uint8Array[], piggyback: boolean): void;
  /** Queues membership messages to gossip (a newer one about a node replaces the older). */
  queueMemberBroadcasts(broadcasts: readonly MemberBroadcast[]): void;
}

/** The address a member is reached at. */
export function addressOf(m: Member): PeerAddress {
  return peerAddress(m.addr, m.port);
}

/** A transport address from memberlist's IP bytes and port. */
export function peerAddress(addr: Uint8Array, port: number): PeerAddress {
  return { host: bytesToIp(addr), port };
}

/** The peer's highest protocol version (vsn[1]); 0 when unknown. */
export function peerMaxProtocol(m: Member | undefined): number {
  return m?.vsn[1] ?? 0;
}
