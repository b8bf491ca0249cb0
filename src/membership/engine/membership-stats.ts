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
}

type Counter = Exclude<keyof MembershipStatsSnapshot, 'dropped'>;

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

  add(counter: Counter, by = 1): void {
    this.counts[counter] += by;
  }

  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  snapshot(): MembershipStatsSnapshot {
    return { ...this.counts, dropped: Object.fromEntries([...this.drops].sort(([a], [b]) => a.localeCompare(b))) };
  }
}
