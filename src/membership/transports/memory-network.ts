/**
 * A deterministic in-memory network for the gossip simulator and fast tests. Everything runs
 * on the given {@link Clock} (no real timers) and the given random source, so one seed and one
 * sequence of calls always give the same run.
 *
 * - Packets arrive after `latencyMs` plus a uniform jitter in [0, `jitterMs`) (so they may
 *   overtake each other, as UDP packets may). They are dropped, and counted on the sender's
 *   host, when lost (`lossRate`, or a host's own rate from {@link MemoryNetwork.setLoss}),
 *   when the two hosts are partitioned (checked when sent), or when nobody listens at the
 *   address when the packet arrives.
 * - Streams connect after one one-way delay; a dial to an address nobody listens on is refused
 *   after a round trip (as a TCP RST would be), and a dial across a partition times out.
 *   Chunks arrive in order and are never lost; see memory-stream.ts for partitions that appear
 *   under an open stream.
 * - {@link MemoryNetwork.stall} models a node whose event loop is blocked: what arrives for it
 *   is held, then delivered in arrival order when the stall ends.
 *
 * Payloads are not copied unless `copyPayloads` is set (the simulator pushes millions of
 * packets): senders must not change an array after sending it (the codec makes a new one per
 * packet), and receivers must not change what they receive (one array may go to many peers).
 */
import { BugError, ErrorCode, SidecarError, type Clock, type TimerHandle } from '../../core/index.js';
import { MemoryStream, type StreamLink } from './memory-stream.js';
import { MemoryTransport, transportClosedError, type TransportLink } from './memory-transport.js';
import { formatPeerAddress, type PeerAddress, type StreamConnection } from './transport.js';

export interface MemoryNetworkOptions {
  readonly clock: Clock;
  /** Random numbers in [0, 1): loss and jitter draws. Seed it for a reproducible run. */
  readonly rng: () => number;
  /** One-way delay of every packet and stream chunk, in ms. Default 1 (a LAN hop, rounded up). */
  readonly latencyMs?: number;
  /** Extra one-way delay, uniform in [0, jitterMs), drawn per packet or chunk. Default 0. */
  readonly jitterMs?: number;
  /** Share of packets lost, 0..1. Default 0. Streams never lose data. */
  readonly lossRate?: number;
  /** Copy each payload on send, so senders may reuse their buffers. Default false (speed). */
  readonly copyPayloads?: boolean;
}

/** Why a packet did not arrive. */
export type PacketDropReason = 'loss' | 'partition' | 'noListener';

/** Traffic of one host (or of all hosts, for totals). */
export interface MemoryHostStats {
  /** Packets this host sent, lost or not, and their bytes (packet lengths). */
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  /** Packets this host sent that did not arrive, by reason. */
  readonly packetsDropped: Readonly<Record<PacketDropReason, number>>;
  /** Streams this host dialled that connected, and that failed (refused, timed out, cancelled). */
  readonly streamsDialed: number;
  readonly dialsFailed: number;
  /** Streams peers opened to this host. */
  readonly streamsAccepted: number;
  readonly streamBytesSent: number;
  readonly streamBytesReceived: number;
}

interface MutableStats {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  packetsDropped: Record<PacketDropReason, number>;
  streamsDialed: number;
  dialsFailed: number;
  streamsAccepted: number;
  streamBytesSent: number;
  streamBytesReceived: number;
}

function emptyStats(): MutableStats {
  return {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    packetsDropped: { loss: 0, partition: 0, noListener: 0 },
    streamsDialed: 0,
    dialsFailed: 0,
    streamsAccepted: 0,
    streamBytesSent: 0,
    streamBytesReceived: 0,
  };
}

function copyStats(s: MutableStats): MemoryHostStats {
  return { ...s, packetsDropped: { ...s.packetsDropped } };
}

function addStats(into: MutableStats, s: MutableStats): void {
  into.packetsSent += s.packetsSent;
  into.bytesSent += s.bytesSent;
  into.packetsReceived += s.packetsReceived;
  into.bytesReceived += s.bytesReceived;
  into.packetsDropped.loss += s.packetsDropped.loss;
  into.packetsDropped.partition += s.packetsDropped.partition;
  into.packetsDropped.noListener += s.packetsDropped.noListener;
  into.streamsDialed += s.streamsDialed;
  into.dialsFailed += s.dialsFailed;
  into.streamsAccepted += s.streamsAccepted;
  into.streamBytesSent += s.streamBytesSent;
  into.streamBytesReceived += s.streamBytesReceived;
}

/** Per-host state: traffic counters, loss override, stall. */
interface Host {
  readonly name: string;
  stats: MutableStats;
  lossRate: number | null;
  /** Clock time the stall ends, in ms; 0 when not stalled. */
  stallUntilMs: number;
  /** Deliveries waiting for the stall to end, in arrival order. */
  held: Array<() => void>;
  stallTimer: TimerHandle | null;
}

interface Partition {
  readonly a: ReadonlySet<string>;
  readonly b: ReadonlySet<string>;
}

function checkRate(name: string, rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new BugError(`${name} must be between 0 and 1, not ${rate}`);
}

export class MemoryNetwork implements StreamLink, TransportLink {
  readonly clock: Clock;
  private readonly rng: () => number;
  private readonly latencyMs: number;
  private readonly jitterMs: number;
  private readonly lossRate: number;
  private readonly copyPayloads: boolean;
  /** Bound transports by host, then port. */
  private readonly bound = new Map<string, Map<number, MemoryTransport>>();
  private readonly hosts = new Map<string, Host>();
  private partitions: Partition[] = [];
  /** Hosts with their own loss rate (skips two lookups per packet when none). */
  private lossOverrides = 0;

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock;
    this.rng = options.rng;
    this.latencyMs = options.latencyMs ?? 1;
    this.jitterMs = options.jitterMs ?? 0;
    this.lossRate = options.lossRate ?? 0;
    this.copyPayloads = options.copyPayloads ?? false;
    if (!(this.latencyMs >= 0)) throw new BugError(`latencyMs must be >= 0, not ${this.latencyMs}`);
    if (!(this.jitterMs >= 0)) throw new BugError(`jitterMs must be >= 0, not ${this.jitterMs}`);
    checkRate('lossRate', this.lossRate);
  }

  /** A transport at `address`; it takes the address on start() and frees it on close(). */
  createTransport(address: PeerAddress): MemoryTransport {
    return new MemoryTransport(this, { host: address.host, port: address.port });
  }

  /** Cuts every host of `groupA` off from every host of `groupB`, both ways, until {@link heal}. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.partitions.push({ a: new Set(groupA), b: new Set(groupB) });
  }

  /** Removes every partition. Streams broken by one stay broken (see memory-stream.ts). */
  heal(): void {
    this.partitions = [];
  }

  isPartitioned(hostA: string, hostB: string): boolean {
    for (const p of this.partitions) {
      if ((p.a.has(hostA) && p.b.has(hostB)) || (p.b.has(hostA) && p.a.has(hostB))) return true;
    }
    return false;
  }

  /**
   * Gives `host` its own loss rate (0..1), or back the network's with `null`. A packet is lost
   * with the larger of its sender's and its receiver's rate.
   */
  setLoss(host: string, rate: number | null): void {
    if (rate !== null) checkRate('loss rate', rate);
    const h = this.host(host);
    if ((h.lossRate === null) !== (rate === null)) this.lossOverrides += rate === null ? -1 : 1;
    h.lossRate = rate;
  }

  /**
   * Blocks `host` until clock time `untilMs`: packets, stream chunks and new streams that
   * arrive for it are held and delivered in order when the stall ends. A later call replaces
   * the end time; a time not in the future ends the stall now.
   */
  stall(host: string, untilMs: number): void {
    const h = this.host(host);
    if (h.stallTimer !== null) this.clock.clearTimeout(h.stallTimer);
    h.stallTimer = null;
    const nowMs = this.clock.nowMs();
    if (untilMs <= nowMs) {
      this.endStall(h);
      return;
    }
    h.stallUntilMs = untilMs;
    h.stallTimer = this.clock.setTimeout(() => this.endStall(h), untilMs - nowMs);
  }

  isStalled(host: string): boolean {
    const h = this.hosts.get(host);
    return h !== undefined && this.stalled(h);
  }

  /** Traffic of one host (zeros for a host never seen). A snapshot. */
  stats(host: string): MemoryHostStats {
    const h = this.hosts.get(host);
    return copyStats(h === undefined ? emptyStats() : h.stats);
  }

  /** Traffic of all hosts together. */
  totals(): MemoryHostStats {
    const sum = emptyStats();
    for (const h of this.hosts.values()) addStats(sum, h.stats);
    return sum;
  }

  /** Zeroes every counter (to measure one stretch of a run). */
  resetStats(): void {
    for (const h of this.hosts.values()) h.stats = emptyStats();
  }

  // StreamLink and TransportLink: for the transports and streams of this network.

  /** @internal */
  delayMs(): number {
    return this.jitterMs > 0 ? this.latencyMs + this.rng() * this.jitterMs : this.latencyMs;
  }

  /** @internal */
  arrive(host: string, deliver: () => void): void {
    const h = this.host(host);
    if (this.stalled(h)) h.held.push(deliver);
    else deliver();
  }

  /** @internal */
  carry(data: Uint8Array): Uint8Array {
    return this.copyPayloads ? data.slice() : data;
  }

  /** @internal */
  countStreamSent(host: string, bytes: number): void {
    this.host(host).stats.streamBytesSent += bytes;
  }

  /** @internal */
  countStreamReceived(host: string, bytes: number): void {
    this.host(host).stats.streamBytesReceived += bytes;
  }

  /** @internal */
  register(transport: MemoryTransport): boolean {
    const { host, port } = transport.advertiseAddress;
    let ports = this.bound.get(host);
    if (ports === undefined) {
      ports = new Map();
      this.bound.set(host, ports);
    }
    if (ports.has(port)) return false;
    ports.set(port, transport);
    return true;
  }

  /** @internal */
  unregister(transport: MemoryTransport): void {
    const { host, port } = transport.advertiseAddress;
    const ports = this.bound.get(host);
    if (ports?.get(port) === transport) ports.delete(port);
  }

  /** @internal */
  sendPacket(from: MemoryTransport, to: PeerAddress, data: Uint8Array): void {
    const fromAddress = from.advertiseAddress;
    const src = this.host(fromAddress.host);
    const dst = this.host(to.host);
    const stats = src.stats;
    stats.packetsSent++;
    stats.bytesSent += data.length;
    if (this.partitions.length > 0 && this.isPartitioned(src.name, dst.name)) {
      stats.packetsDropped.partition++;
      return;
    }
    const rate = this.lossOverrides === 0 ? this.lossRate : Math.max(src.lossRate ?? this.lossRate, dst.lossRate ?? this.lossRate);
    if (rate > 0 && this.rng() < rate) {
      stats.packetsDropped.loss++;
      return;
    }
    const payload = this.carry(data);
    const port = to.port;
    this.clock.setTimeout(() => this.deliverPacket(src, dst, port, fromAddress, payload), this.delayMs());
  }

  /** @internal */
  dial(from: MemoryTransport, to: PeerAddress, timeoutMs: number): Promise<StreamConnection> {
    const clock = this.clock;
    const src = this.host(from.advertiseAddress.host);
    const dst = this.host(to.host);
    const target = formatPeerAddress(to);
    return new Promise<StreamConnection>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clock.clearTimeout(timer);
        removePending();
        return true;
      };
      const fail = (err: SidecarError): void => {
        if (!settle()) return;
        src.stats.dialsFailed++;
        reject(err);
      };
      const timer = clock.setTimeout(
        () => fail(new SidecarError(ErrorCode.MEMBERSHIP_DIAL, `cannot open a stream to ${target}: no connection within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const removePending = from.addPendingDial(() => fail(transportClosedError(to)));
      // Across a partition the SYN is lost: only the timeout ends the dial.
      if (this.isPartitioned(src.name, dst.name)) return;
      clock.setTimeout(() => {
        if (settled) return;
        const listener = this.bound.get(dst.name)?.get(to.port);
        if (listener === undefined) {
          const refused = new SidecarError(ErrorCode.MEMBERSHIP_DIAL, `cannot open a stream to ${target}: connection refused`);
          clock.setTimeout(() => fail(refused), this.delayMs());
          return;
        }
        settle();
        const [dialer, accepted] = MemoryStream.pair(
          this,
          from.advertiseAddress,
          listener.advertiseAddress,
          (s) => from.untrackStream(s),
          (s) => listener.untrackStream(s),
        );
        from.trackStream(dialer);
        listener.trackStream(accepted);
        src.stats.streamsDialed++;
        dst.stats.streamsAccepted++;
        resolve(dialer);
        this.arrive(dst.name, () => listener.acceptStream(accepted));
      }, this.delayMs());
    });
  }

  private deliverPacket(src: Host, dst: Host, port: number, from: PeerAddress, data: Uint8Array): void {
    const transport = this.bound.get(dst.name)?.get(port);
    if (transport === undefined) {
      src.stats.packetsDropped.noListener++;
      return;
    }
    if (this.stalled(dst)) {
      dst.held.push(() => this.deliverPacket(src, dst, port, from, data));
      return;
    }
    dst.stats.packetsReceived++;
    dst.stats.bytesReceived += data.length;
    transport.deliverPacket({ data, from, receivedAtMs: this.clock.nowMs() });
  }

  private host(name: string): Host {
    let h = this.hosts.get(name);
    if (h === undefined) {
      h = { name, stats: emptyStats(), lossRate: null, stallUntilMs: 0, held: [], stallTimer: null };
      this.hosts.set(name, h);
    }
    return h;
  }

  private stalled(h: Host): boolean {
    return h.held.length > 0 || (h.stallUntilMs > 0 && this.clock.nowMs() < h.stallUntilMs);
  }

  private endStall(h: Host): void {
    h.stallTimer = null;
    h.stallUntilMs = 0;
    const held = h.held;
    h.held = [];
    for (let i = 0; i < held.length; i++) {
      // A listener may stall the host again: keep the rest for that stall, in order.
      if (this.stalled(h)) {
        h.held = held.slice(i).concat(h.held);
        return;
      }
      (held[i] as () => void)();
    }
  }
}
