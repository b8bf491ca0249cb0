/**
 * Timing and fan-out settings of SWIM + Lifeguard. Defaults are the Go Sidecar's: the
 * NinesStack/memberlist fork's `DefaultLANConfig` plus what Sidecar's main.go overrides
 * (push/pull every 20 s, 15 gossip rounds per interval). Where stock hashicorp/memberlist
 * differs, the field's comment says so.
 */

export interface MembershipOptions {
  /** Time between failure-detector probes. Default 1000 (memberlist LAN, fork and stock). */
  readonly probeIntervalMs: number;
  /** Wait for a direct ack before going indirect. Default 500 (a reasonable LAN RTT). */
  readonly probeTimeoutMs: number;
  /**
   * Suspicion timeout multiplier: min timeout = mult × max(1, log10(n)) × probeInterval.
   * Default 5 (NinesStack fork, so Sidecar); stock memberlist LAN uses 4.
   */
  readonly suspicionMult: number;
  /** Max suspicion timeout as a multiple of the min (Lifeguard). Default 6 (both). */
  readonly suspicionMaxTimeoutMult: number;
  /** Broadcasts are sent retransmitMult × ceil(log10(n+1)) times. Default 4 (both). */
  readonly retransmitMult: number;
  /**
   * User messages (the delegate's, e.g. service records) are sent
   * userRetransmitMult × ceil(log10(n+1)) times by each node that queues them. Default 2: the
   * Go Sidecar has memberlist send each once and relies on its own repeats; a few transmits
   * make one announcement reach every node without the full membership multiplier's traffic.
   */
  readonly userRetransmitMult: number;
  /** Time between gossip rounds. Default 200 (both; Sidecar's GOSSIP_INTERVAL default). */
  readonly gossipIntervalMs: number;
  /** Random peers gossiped to per round. Default 3 (both). */
  readonly gossipNodes: number;
  /**
   * Packets built per gossip round, each to `gossipNodes` peers (a fork-only setting; stock
   * memberlist behaves as 1). Default 15 (Sidecar's GOSSIP_MESSAGES; the fork's own LAN default
   * is 3).
   */
  readonly gossipMessagesPerInterval: number;
  /** Keep gossiping to a dead node this long so it can refute. Default 30000 (both). */
  readonly gossipToTheDeadTimeMs: number;
  /** Peers asked for an indirect probe. Default 3 (both). */
  readonly indirectChecks: number;
  /** Lifeguard: probe timeouts stretch up to this multiple when we are unhealthy. Default 8. */
  readonly awarenessMaxMultiplier: number;
  /**
   * Full-state TCP anti-entropy period (scaled up past 32 nodes). Default 20000 (Sidecar's
   * PUSH_PULL_INTERVAL, one second less than a service's alive lifespan); memberlist uses 30000.
   */
  readonly pushPullIntervalMs: number;
  /** TCP connect/read/write timeout (push/pull, TCP fallback probe). Default 10000 (both). */
  readonly tcpTimeoutMs: number;
  /** Largest UDP packet we build, in bytes. Default 1400 (memberlist UDPBufferSize). */
  readonly udpBufferSizeBytes: number;
  /**
   * Largest stream message a peer may send us (encrypted, compressed or plain), in bytes;
   * a larger declared length (encryption header, msgpack str/bin, user state) is refused as
   * soon as it is read, before anything is buffered for it. Default 16 MiB: the full state of
   * a 5,000-host cluster is about 5,000 node records (≈ 150 B each) plus the catalog JSON
   * (≈ 5 services × 550 B per host), ≈ 15 MB before LZW and ≈ 5 MB after, so 3× headroom on
   * the wire. Stock memberlist allows 20 MiB and the Go Sidecar's fork 10 MiB.
   */
  readonly maxStreamBytes: number;
  /**
   * Most bytes one stream message may inflate to, in bytes; LZW decoding stops there.
   * Default 32 MiB: twice the ≈ 15 MB uncompressed state of a 5,000-host cluster (memberlist
   * allows 40 MiB). One inflation runs at a time (it is synchronous), so this is also the
   * transient memory it can cost. A stream also inflates to at most MAX_LZW_RATIO (32) × its
   * compressed size, so reaching this cap costs a peer 1 MiB sent, not a 27 KB bomb.
   */
  readonly maxStreamDecompressedBytes: number;
  /**
   * Inbound streams (push/pull, reliable user messages, TCP pings) served at once, from all
   * peers; more are closed on accept. Default 32: each peer opens about one push/pull per
   * interval, so even joins of many nodes at once stay far below. memberlist caps pending
   * push/pulls at 128 only after it has read (and decrypted) the whole stream, so that cap
   * bounds nothing it buffers; this one is checked on accept, before a byte is read.
   */
  readonly maxInboundStreams: number;
  /**
   * Inbound streams served at once from one IP address. Default 8: a peer has at most a
   * push/pull, a TCP ping and a few large user messages in flight.
   */
  readonly maxInboundStreamsPerPeer: number;
  /**
   * Bytes all inbound streams may hold buffered together, in bytes; a stream that would go
   * past it is cut. Default 32 MiB: two maximum-size streams at once, while 40 hostile
   * streams of 20 MiB cannot make us hold 800 MiB.
   */
  readonly maxInboundStreamBufferedBytes: number;
  /**
   * Time an inbound stream has to deliver its whole message, in ms, then it is cut
   * (slow-loris). Default 5000: a 16 MiB push/pull crosses a LAN in well under a second;
   * memberlist gives the whole exchange TCPTimeout (10 s).
   */
  readonly inboundStreamTimeoutMs: number;
}

/** Stream limits shared by every profile (sizes and counts do not depend on timing). */
const STREAM_LIMIT_DEFAULTS = {
  maxStreamBytes: 16 * 1024 * 1024,
  maxStreamDecompressedBytes: 32 * 1024 * 1024,
  maxInboundStreams: 32,
  maxInboundStreamsPerPeer: 8,
  maxInboundStreamBufferedBytes: 32 * 1024 * 1024,
} as const;

/** Go Sidecar (NinesStack fork + Sidecar overrides): the default profile. */
export const LAN_MEMBERSHIP_OPTIONS: MembershipOptions = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  suspicionMult: 5,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  userRetransmitMult: 2,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipMessagesPerInterval: 15,
  gossipToTheDeadTimeMs: 30_000,
  indirectChecks: 3,
  awarenessMaxMultiplier: 8,
  pushPullIntervalMs: 20_000,
  tcpTimeoutMs: 10_000,
  udpBufferSizeBytes: 1400,
  ...STREAM_LIMIT_DEFAULTS,
  inboundStreamTimeoutMs: 5000,
});

/** Stock hashicorp/memberlist `DefaultLANConfig` (what serf agents run), for comparison. */
export const STOCK_LAN_MEMBERSHIP_OPTIONS: MembershipOptions = Object.freeze({
  ...LAN_MEMBERSHIP_OPTIONS,
  suspicionMult: 4,
  gossipMessagesPerInterval: 1,
  pushPullIntervalMs: 30_000,
});

/**
 * Fast profile for loopback tests: memberlist's `DefaultLocalConfig` shape (fewer indirect
 * checks, shorter suspicion) with intervals shortened further so a test runs in seconds.
 */
export const LOCAL_MEMBERSHIP_OPTIONS: MembershipOptions = Object.freeze({
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 2,
  userRetransmitMult: 2,
  gossipIntervalMs: 50,
  gossipNodes: 3,
  gossipMessagesPerInterval: 3,
  gossipToTheDeadTimeMs: 3000,
  indirectChecks: 1,
  awarenessMaxMultiplier: 8,
  pushPullIntervalMs: 2000,
  tcpTimeoutMs: 1000,
  udpBufferSizeBytes: 1400,
  ...STREAM_LIMIT_DEFAULTS,
  inboundStreamTimeoutMs: 1000,
});

export type MembershipProfile = 'lan' | 'stock-lan' | 'local';

const PROFILES: { readonly [P in MembershipProfile]: MembershipOptions } = {
  lan: LAN_MEMBERSHIP_OPTIONS,
  'stock-lan': STOCK_LAN_MEMBERSHIP_OPTIONS,
  local: LOCAL_MEMBERSHIP_OPTIONS,
};

/** A profile with some fields overridden. */
export function membershipOptions(profile: MembershipProfile = 'lan', overrides: Partial<MembershipOptions> = {}): MembershipOptions {
  return Object.freeze({ ...PROFILES[profile], ...overrides });
}

/**
 * The settings that make the protocol misbehave, as messages (empty when valid): non-positive
 * intervals, a probe timeout not shorter than the probe interval, multipliers below 1.
 */
export function validateMembershipOptions(o: MembershipOptions): string[] {
  const problems: string[] = [];
  const positive: (keyof MembershipOptions)[] = [
    'probeIntervalMs',
    'probeTimeoutMs',
    'suspicionMult',
    'suspicionMaxTimeoutMult',
    'retransmitMult',
    'userRetransmitMult',
    'gossipIntervalMs',
    'gossipMessagesPerInterval',
    'awarenessMaxMultiplier',
    'pushPullIntervalMs',
    'tcpTimeoutMs',
    'udpBufferSizeBytes',
    'maxStreamBytes',
    'maxStreamDecompressedBytes',
    'maxInboundStreams',
    'maxInboundStreamsPerPeer',
    'maxInboundStreamBufferedBytes',
    'inboundStreamTimeoutMs',
  ];
  for (const key of positive) {
    const v = o[key];
    if (!Number.isFinite(v) || v <= 0) problems.push(`${key} must be a positive number, got ${v}`);
  }
  for (const key of ['gossipNodes', 'indirectChecks', 'gossipToTheDeadTimeMs'] as const) {
    const v = o[key];
    if (!Number.isFinite(v) || v < 0) problems.push(`${key} must not be negative, got ${v}`);
  }
  if (o.probeTimeoutMs >= o.probeIntervalMs) problems.push(`probeTimeoutMs (${o.probeTimeoutMs}) must be shorter than probeIntervalMs (${o.probeIntervalMs})`);
  return problems;
}
