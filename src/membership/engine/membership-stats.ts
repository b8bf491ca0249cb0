/** Counters of the protocol, cheap enough to be always on; served by the API and the simulator. */

export interface MembershipStatsSnapshot {
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  /** Packets or packet parts dropped, by reason (a WireFailureReason or a handling reason). */
  readonly dropped: Readonly<Record<string, number>>;
  readonly probes: number;
  readonly probesFailed: number;
  readonly indirectProbes: number;
  readonly tcpFallbackProbes: number;
  /** Probe deadlines that fired late because our event loop stalled, and were extended. */
  readonly stallGraces: number;
  readonly suspicionsRaised: number;
  readonly pushPulls: number;
  readonly pushPullsFailed: number;
  readonly userMessagesReceived: number;
  /** User messages too large for a packet, sent over TCP instead. */
  readonly userMessagesSentReliably: number;
  /** Messages sent, by memberlist message type (`ping`, `ack`, `alive`, `pushPull`, `user`…); packet parts and streams. */
  readonly messagesSent: Readonly<Record<string, number>>;
  /** Messages received and handled, by memberlist message type (packet parts and streams). */
  readonly messagesReceived: Readonly<Record<string, number>>;
  /** Suspicions or deaths of this node that it refuted (with a higher incarnation). */
  readonly refutations: number;
  /** Messages waiting in the gossip queues now: membership (`members`) and user (the catalog's) messages. */
  readonly broadcastQueue: { readonly members: number; readonly users: number };
}

/** What MembershipStats counts itself (the rest comes from the member table and the queues). */
export type CountedStats = Omit<MembershipStatsSnapshot, 'refutations' | 'broadcastQueue'>;

type Counter = Exclude<keyof CountedStats, 'dropped' | 'messagesSent' | 'messagesReceived'>;

export class MembershipStats {
  private readonly counts: Record<Counter, number> = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    probes: 0,
    probesFailed: 0,
    indirectProbes: 0,
    tcpFallbackProbes: 0,
    stallGraces: 0,
    suspicionsRaised: 0,
    pushPulls: 0,
    pushPullsFailed: 0,
    userMessagesReceived: 0,
    userMessagesSentReliably: 0,
  };
  private readonly drops = new Map<string, number>();
  private readonly sent = new Map<string, number>();
  private readonly received = new Map<string, number>();

  add(counter: Counter, by = 1): void {
    this.counts[counter] += by;
  }

  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  /** One message of type `type` went out (a packet part or a stream). */
  messageSent(type: string): void {
    this.sent.set(type, (this.sent.get(type) ?? 0) + 1);
  }

  /** One message of type `type` came in and was handled. */
  messageReceived(type: string): void {
    this.received.set(type, (this.received.get(type) ?? 0) + 1);
  }

  snapshot(): CountedStats {
    return { ...this.counts, dropped: sorted(this.drops), messagesSent: sorted(this.sent), messagesReceived: sorted(this.received) };
  }
}

function sorted(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}
