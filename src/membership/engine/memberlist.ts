/**
 * One cluster member: SWIM + Lifeguard on memberlist's wire protocol (the facade of
 * hashicorp/memberlist's Memberlist). It owns the member table, probes, gossips the broadcast
 * queues every gossip interval, runs push/pull anti-entropy, answers peers, and carries the
 * delegate's user messages.
 */
import { Emitter, SidecarError, ErrorCode, systemClock, type Clock, type Disposable, type Event, type Logger, type TimerHandle } from '../../core/index.js';
import { AckRegistry } from './ack-registry.js';
import { Awareness } from './awareness.js';
import { encodeMessage } from '../wire/codec.js';
import { DropLog } from './drop-log.js';
import { InboundStreamGate } from '../transports/inbound-stream-gate.js';
import type { GossipCluster, MembershipDelegate } from './delegate.js';
import { GossipQueues, packBatches } from './gossip-queues.js';
import { ipToBytes } from '../wire/ip-bytes.js';
import { LoopMonitor } from './loop-monitor.js';
import { MemberTable, type Member, type MemberBroadcast } from './members.js';
import { MembershipStats, type MembershipStatsSnapshot } from './membership-stats.js';
import { DEFAULT_VSN, META_MAX_SIZE_BYTES, messageTagOf, type Alive, type PacketMessage } from '../wire/messages.js';
import { pushPullScaleMs } from './math.js';
import { LAN_MEMBERSHIP_OPTIONS, validateMembershipOptions, type MembershipOptions } from './options.js';
import { Prober } from './prober.js';
import { addressOf, peerMaxProtocol, type ProtocolContext } from './protocol-context.js';
import { DEFAULT_STREAM_LIMITS } from '../wire/push-pull.js';
import { StreamExchange, type PushPullResult } from './stream-exchange.js';
import { formatPeerAddress, type IncomingPacket, type PeerAddress, type Transport } from '../transports/transport.js';
import { COMPOUND_HEADER_OVERHEAD_BYTES, COMPOUND_PART_OVERHEAD_BYTES, WireCodec, type WireSettings } from '../wire/wire-codec.js';

export interface MemberlistOptions {
  /** This node's name, unique in the cluster (the Go Sidecar uses the hostname). */
  readonly name: string;
  readonly transport: Transport;
  readonly delegate: MembershipDelegate;
  readonly wire: WireSettings;
  /** Timing and fan-out; default the Go Sidecar's ({@link LAN_MEMBERSHIP_OPTIONS}). */
  readonly membership?: MembershipOptions;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Random source for peer selection; default Math.random (the simulator seeds it). */
  readonly random?: () => number;
  /**
   * How often the event-loop stall detector runs, in ms. Default 250: a stall shorter than a
   * probe timeout (500 ms) does not matter, and a longer one is seen within a quarter second.
   * 0 turns it off.
   */
  readonly loopCheckIntervalMs?: number;
  /**
   * Delegate protocol versions [min, max, current] announced in alive messages. Default
   * [0, 0, 0], the Go Sidecar's. memberlist refuses a join when any node's current version is
   * outside every other node's range, so a node joining serf agents must announce serf's
   * ({@link SERF_DELEGATE_VERSIONS}).
   */
  readonly delegateVersions?: readonly [number, number, number];
}

/** Serf 0.8's delegate (agent) protocol range: understands 2 to 5, speaks 4. */
export const SERF_DELEGATE_VERSIONS: readonly [number, number, number] = [2, 5, 4];

/** How long `leave()` waits for its dead message to be gossiped, by default. */
const DEFAULT_LEAVE_TIMEOUT_MS = 2000;
const DEFAULT_LOOP_CHECK_INTERVAL_MS = 250;

export class Memberlist implements GossipCluster, Disposable {
  readonly localName: string;
  private readonly ctx: ProtocolContext;
  private readonly table: MemberTable;
  private readonly options: MembershipOptions;
  private readonly prober: Prober;
  private readonly streams: StreamExchange;
  private readonly monitor: LoopMonitor | null;
  private readonly log: Logger;
  private readonly subscriptions: Disposable[] = [];
  private gossipTimer: TimerHandle | null = null;
  private pushPullTimer: TimerHandle | null = null;
  private started = false;
  private closed = false;
  private readonly didChangeMembers = new Emitter<void>();
  private readonly vsn: Uint8Array;

  readonly onDidJoin: Event<Member>;
  readonly onDidLeave: Event<Member>;
  readonly onDidUpdate: Event<Member>;
  /** Any change of a member's state, including to and from suspect. */
  readonly onDidChangeState: Event<Member>;
  /** Fires after any join, leave or update (for API caches and metrics). */
  readonly onDidChangeMembers: Event<void> = this.didChangeMembers.event;

  constructor(options: MemberlistOptions) {
    this.localName = options.name;
    this.options = options.membership ?? LAN_MEMBERSHIP_OPTIONS;
    const problems = validateMembershipOptions(this.options);
    if (problems.length > 0) throw new SidecarError(ErrorCode.CONFIG_INVALID, `invalid membership settings: ${problems.join('; ')}`);
    const clock = options.clock ?? systemClock;
    this.log = options.logger;
    const awareness = new Awareness(this.options.awarenessMaxMultiplier, this.options.probeTimeoutMs);
    this.table = new MemberTable({
      localName: options.name,
      clock,
      awareness,
      suspicionMult: this.options.suspicionMult,
      suspicionMaxTimeoutMult: this.options.suspicionMaxTimeoutMult,
      probeIntervalMs: this.options.probeIntervalMs,
    });
    const table = this.table;
    const queues = new GossipQueues({
      numNodes: () => table.size,
      retransmitMult: this.options.retransmitMult,
      userRetransmitMult: this.options.userRetransmitMult,
    });
    const codec = new WireCodec(options.wire, {
      maxStateBytes: this.options.maxStreamBytes,
      maxNodes: DEFAULT_STREAM_LIMITS.maxNodes,
      maxDecompressedBytes: this.options.maxStreamDecompressedBytes,
    });
    const stats = new MembershipStats();
    this.ctx = {
      localName: options.name,
      options: this.options,
      clock,
      random: options.random ?? Math.random,
      table,
      awareness,
      codec,
      transport: options.transport,
      delegate: options.delegate,
      queues,
      acks: new AckRegistry(clock),
      stats,
      log: this.log,
      drops: new DropLog(this.log, clock),
      inbound: new InboundStreamGate({
        maxStreams: this.options.maxInboundStreams,
        maxStreamsPerPeer: this.options.maxInboundStreamsPerPeer,
        maxBufferedBytes: this.options.maxInboundStreamBufferedBytes,
      }),
      localAddr: new Uint8Array(0),
      localPort: 0,
      send: (to, max, messages, piggyback) => this.send(to, max, messages, piggyback),
      queueMemberBroadcasts: (broadcasts) => this.queueMemberBroadcasts(broadcasts),
    };
    this.streams = new StreamExchange(this.ctx);
    this.prober = new Prober(this.ctx, this.streams);
    const loopMs = options.loopCheckIntervalMs ?? DEFAULT_LOOP_CHECK_INTERVAL_MS;
    this.monitor = loopMs > 0 ? new LoopMonitor(clock, awareness, loopMs) : null;
    this.vsn = Uint8Array.from([...DEFAULT_VSN.slice(0, 3), ...(options.delegateVersions ?? [0, 0, 0])]);
    this.onDidJoin = table.onDidJoin;
    this.onDidLeave = table.onDidLeave;
    this.onDidUpdate = table.onDidUpdate;
    this.onDidChangeState = table.onDidChangeState;
  }

  /** Binds the transport, announces ourselves and starts probing, gossip and push/pull. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { transport } = this.ctx;
    await transport.start();
    const advertise = transport.advertiseAddress;
    const addr = ipToBytes(advertise.host);
    if (addr === null) throw new SidecarError(ErrorCode.CONFIG_INVALID, `advertise address ${JSON.stringify(advertise.host)} is not an IP address`);
    this.ctx.localAddr = addr;
    this.ctx.localPort = advertise.port;
    this.subscriptions.push(
      transport.onPacket((p) => this.handlePacket(p)),
      transport.onStream((conn) => void this.streams.handleIncoming(conn)),
      this.table.onDidJoin((m) => this.noteChange('joined', m)),
      this.table.onDidLeave((m) => this.noteChange(m.state === 'left' ? 'left' : 'failed', m)),
      this.table.onDidUpdate(() => this.didChangeMembers.fire()),
      this.table.onDidTimeoutSuspicion((t) => this.queueMemberBroadcasts(t.broadcasts)),
      this.table.onDidConflict((c) => this.log.warn({ node: c.claimed.node, existing: formatPeerAddress(addressOf(c.existing)) }, 'another node claims this name from a different address; ignored')),
    );
    this.queueMemberBroadcasts(this.table.setLocalAlive(addr, advertise.port, this.localMeta(), this.vsn));
    this.prober.start();
    this.gossipTimer = this.ctx.clock.setInterval(() => this.gossip(), this.options.gossipIntervalMs);
    // Spread over the interval of a cluster of the size we know (just us on a real start; the
    // whole cluster after seedMembers), so nodes do not push/pull in step.
    this.schedulePushPull(Math.floor(this.ctx.random() * pushPullScaleMs(this.options.pushPullIntervalMs, this.table.size)));
    this.monitor?.start();
    this.log.info({ node: this.localName, address: formatPeerAddress(advertise) }, 'membership started');
  }

  /**
   * Push/pulls with each address (memberlist Join); the result lists each outcome. Joining our
   * own address counts as success, as in memberlist.
   */
  async join(seeds: readonly PeerAddress[]): Promise<PushPullResult[]> {
    return Promise.all(seeds.map((seed) => this.streams.pushPull(seed, true)));
  }

  broadcast(payload: Uint8Array, key?: string): void {
    if (this.closed) return;
    const message = encodeMessage({ type: 'user', payload }, this.ctx.codec.dialect);
    const roomBytes = this.options.udpBufferSizeBytes - this.ctx.codec.packetOverheadBytes - COMPOUND_HEADER_OVERHEAD_BYTES - COMPOUND_PART_OVERHEAD_BYTES;
    if (message.length <= roomBytes) {
      this.ctx.queues.users.queue(key === undefined ? { message } : { message, name: key });
      return;
    }
    // Too big for one packet: the Go Sidecar's queue would hold it forever. Send it over TCP
    // to a few random peers instead; they relay it the same way.
    const peers = this.table.sample(this.options.gossipNodes, this.ctx.random, (m) => m.name !== this.localName && m.state === 'alive');
    for (const peer of peers) {
      this.ctx.stats.add('userMessagesSentReliably');
      void this.streams.sendUser(addressOf(peer), payload);
    }
  }

  /**
   * Learns members as a push/pull would, without gossiping them: the simulator's warm start
   * (a 5,000-node cluster built by joins costs O(N²) push/pulls). Call before start().
   */
  seedMembers(alives: readonly Alive[]): void {
    for (const a of alives) this.table.aliveNode(a);
  }

  /** The gossip port this node announces (the bound one when the configured port was 0); 0 before start(). */
  get localPort(): number {
    return this.ctx.localPort;
  }

  /** Our incarnation number; it rises each time we refute a suspicion. */
  get localIncarnation(): number {
    return this.table.localIncarnation;
  }

  liveMembers(): Member[] {
    return this.table.liveMembers();
  }

  members(): Member[] {
    return this.table.members();
  }

  get numMembers(): number {
    return this.table.liveMembers().length;
  }

  /** Lifeguard's local health score (0 is healthy). */
  get healthScore(): number {
    return this.ctx.awareness.healthScore;
  }

  stats(): MembershipStatsSnapshot {
    const { queues } = this.ctx;
    return { ...this.ctx.stats.snapshot(), refutations: this.table.refutations, broadcastQueue: { members: queues.members.size, users: queues.users.size } };
  }

  updateMeta(): void {
    const me = this.table.peek(this.localName);
    if (me === undefined || this.closed) return;
    const incarnation = this.table.nextIncarnation();
    this.queueMemberBroadcasts(
      this.table.aliveNode({ type: 'alive', incarnation, node: this.localName, addr: me.addr, port: me.port, meta: this.localMeta(), vsn: me.vsn }, true),
    );
  }

  /**
   * Graceful leave: gossips our own death and waits until it has gone out (or `timeoutMs`),
   * so peers drop us at once instead of after a suspicion timeout.
   */
  async leave(timeoutMs = DEFAULT_LEAVE_TIMEOUT_MS): Promise<void> {
    if (!this.started || this.closed || this.table.hasLeft) return;
    const broadcasts = this.table.leave();
    const anyoneElse = this.table.liveMembers().some((m) => m.name !== this.localName);
    if (!anyoneElse) return;
    await new Promise<void>((resolve) => {
      const timer = this.ctx.clock.setTimeout(resolve, timeoutMs);
      this.queueMemberBroadcasts(broadcasts, () => {
        this.ctx.clock.clearTimeout(timer);
        resolve();
      });
      // Do not wait for the next gossip round.
      this.gossip();
    });
  }

  /** Stops every timer and closes the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.prober.close();
    this.monitor?.close();
    if (this.gossipTimer !== null) this.ctx.clock.clearInterval(this.gossipTimer);
    if (this.pushPullTimer !== null) this.ctx.clock.clearTimeout(this.pushPullTimer);
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.ctx.acks.clear();
    this.ctx.queues.reset();
    this.table.dispose();
    this.didChangeMembers.dispose();
    await this.ctx.transport.close();
  }

  dispose(): void {
    void this.close();
  }

  private localMeta(): Uint8Array {
    const meta = this.ctx.delegate.nodeMeta(META_MAX_SIZE_BYTES);
    if (meta.length <= META_MAX_SIZE_BYTES) return meta;
    this.log.error({ bytes: meta.length }, `node metadata is larger than ${META_MAX_SIZE_BYTES} bytes; sending none`);
    return new Uint8Array(0);
  }

  private noteChange(what: 'joined' | 'left' | 'failed', m: Member): void {
    if (m.name !== this.localName) {
      const address = formatPeerAddress(addressOf(m));
      this.log.info({ node: m.name, address, change: what }, `member ${m.name} (${address}) ${what}`);
    }
    this.didChangeMembers.fire();
  }

  /** Queues membership messages; `finished` runs when each has been sent enough (or replaced). */
  private queueMemberBroadcasts(broadcasts: readonly MemberBroadcast[], finished?: () => void): void {
    for (const b of broadcasts) {
      const message = encodeMessage(b.message, this.ctx.codec.dialect);
      this.ctx.queues.members.queue(finished === undefined ? { name: b.name, message } : { name: b.name, message, finished });
    }
  }

  private send(to: PeerAddress, maxProtocol: number, messages: readonly Uint8Array[], piggyback: boolean): void {
    let all = messages;
    if (piggyback && !this.ctx.queues.isEmpty) {
      let used = COMPOUND_HEADER_OVERHEAD_BYTES + this.ctx.codec.packetOverheadBytes;
      for (const m of messages) used += m.length + COMPOUND_PART_OVERHEAD_BYTES;
      const extra = this.ctx.queues.take(COMPOUND_PART_OVERHEAD_BYTES, this.options.udpBufferSizeBytes - used);
      if (extra.length > 0) all = messages.concat(extra);
    }
    for (const m of all) this.ctx.stats.messageSent(messageTagOf(m[0] ?? -1) ?? 'unknown');
    for (const packet of this.ctx.codec.encodePackets(all, maxProtocol)) {
      this.ctx.stats.add('packetsSent');
      this.ctx.stats.add('bytesSent', packet.length);
      this.ctx.transport.sendPacket(to, packet);
    }
  }

  /**
   * One gossip round: up to `gossipMessagesPerInterval` packets of queued broadcasts to
   * `gossipNodes` random peers (alive, suspect, or dead for less than gossipToTheDeadTime).
   * Deliberate difference from the fork: each message goes at most once per round, where the
   * fork could put one message in all 15 packets to the same three peers.
   */
  private gossip(): void {
    const { ctx } = this;
    if (ctx.queues.isEmpty) return;
    const now = ctx.clock.nowMs();
    const peers = this.table.sample(this.options.gossipNodes, ctx.random, (m) => {
      if (m.name === this.localName) return false;
      if (m.state === 'alive' || m.state === 'suspect') return true;
      return m.state === 'dead' && now - m.stateChangeMs <= this.options.gossipToTheDeadTimeMs;
    });
    if (peers.length === 0) return;
    const packetBytes = this.options.udpBufferSizeBytes - COMPOUND_HEADER_OVERHEAD_BYTES - ctx.codec.packetOverheadBytes;
    const taken = ctx.queues.take(COMPOUND_PART_OVERHEAD_BYTES, packetBytes * this.options.gossipMessagesPerInterval);
    for (const batch of packBatches(taken, packetBytes)) {
      for (const peer of peers) this.send(addressOf(peer), peerMaxProtocol(peer), batch, false);
    }
  }

  private schedulePushPull(delayMs: number): void {
    if (this.closed) return;
    this.pushPullTimer = this.ctx.clock.setTimeout(() => {
      this.pushPullTimer = null;
      const peer = this.table.sample(1, this.ctx.random, (m) => m.name !== this.localName && m.state === 'alive')[0];
      if (peer !== undefined) {
        void this.streams.pushPull(addressOf(peer), false).then((r) => {
          if (!r.ok) this.log.debug({ node: peer.name }, r.error);
        });
      }
      this.schedulePushPull(pushPullScaleMs(this.options.pushPullIntervalMs, this.table.size));
    }, delayMs);
  }

  private handlePacket(p: IncomingPacket): void {
    const { ctx } = this;
    ctx.stats.add('packetsReceived');
    ctx.stats.add('bytesReceived', p.data.length);
    const decoded = ctx.codec.decodePacket(p.data);
    if (!decoded.ok) {
      ctx.stats.drop(decoded.reason);
      ctx.drops.dropped('packet', p.from.host, decoded);
      return;
    }
    for (const d of decoded.value.dropped) {
      ctx.stats.drop(d.reason);
      ctx.drops.dropped('packet', p.from.host, d);
    }
    for (const msg of decoded.value.messages) this.handleMessage(msg, p);
  }

  private handleMessage(msg: PacketMessage, p: IncomingPacket): void {
    const { ctx } = this;
    ctx.stats.messageReceived(msg.type);
    switch (msg.type) {
      case 'ping':
        return this.prober.handlePing(msg, p.from);
      case 'indirectPing':
        return this.prober.handleIndirectPing(msg, p.from);
      case 'ack':
        if (!ctx.acks.ack(msg.seqNo, msg.payload, p.receivedAtMs)) ctx.stats.drop('lateAck');
        return;
      case 'nack':
        ctx.acks.nack(msg.seqNo);
        return;
      case 'alive':
        return this.queueMemberBroadcasts(this.table.aliveNode(msg));
      case 'suspect':
        return this.queueMemberBroadcasts(this.table.suspectNode(msg));
      case 'dead':
        return this.queueMemberBroadcasts(this.table.deadNode(msg));
      case 'user':
        ctx.stats.add('userMessagesReceived');
        ctx.delegate.notifyMessage(msg.payload);
        return;
    }
  }
}
