/**
 * N real Memberlist nodes in one process: one {@link SimClock}, one MemoryNetwork, and per
 * node a {@link NodeClock} (for stalls), a {@link RecordDelegate} and a seeded random source,
 * so one seed always gives the same run. Nodes can be warm-started (every node knows every
 * other one before it starts, as after a settled join) or joined for real.
 */
import { BugError, Emitter, silentLogger, type Event, type Logger } from '../src/core/index.js';
import {
  DEFAULT_VSN,
  LAN_MEMBERSHIP_OPTIONS,
  Memberlist,
  MemoryNetwork,
  goSidecarDialect,
  ipToBytes,
  seededRandom,
  type Alive,
  type Member,
  type MembershipOptions,
  type PeerAddress,
} from '../src/membership/index.js';
import { NodeClock } from './node-clock.js';
import { RecordDelegate, type HeldRecord } from './record-delegate.js';
import { SimClock } from './sim-clock.js';

/** The port every simulated node listens on (memberlist's default). */
export const SIM_PORT = 7946;

export interface SimClusterOptions {
  readonly nodes: number;
  /** Seeds every random choice (network loss and jitter, each node's peer picks). Default 1. */
  readonly seed?: number;
  /** Share of packets lost, 0..1. Default 0. */
  readonly lossRate?: number;
  /** One-way delay of packets and stream chunks, in ms. Default 1 (a LAN hop). */
  readonly latencyMs?: number;
  /** Extra one-way delay, uniform in [0, jitterMs), in ms. Default 0 (whole-ms times run faster). */
  readonly jitterMs?: number;
  /** Timing and fan-out. Default the Go Sidecar's ({@link LAN_MEMBERSHIP_OPTIONS}). */
  readonly membership?: MembershipOptions;
  /** Cluster name in the wire dialect. Default 'default' (the Go Sidecar's). */
  readonly clusterName?: string;
  /** Logger for every node. Default silent (thousands of nodes). */
  readonly logger?: Logger;
  /**
   * Nodes start at random times over this long, in ms, so their gossip rounds are not in step
   * (the gossip timer has no start jitter, in memberlist either: nodes started in the same
   * millisecond would gossip in lockstep, which a real cluster, whose nodes started at
   * different times, never does). Default the gossip interval; 0 starts all at once.
   */
  readonly startSpreadMs?: number;
}

export type SimNodeState = 'running' | 'killed' | 'left';

export interface SimNode {
  readonly index: number;
  readonly name: string;
  readonly address: PeerAddress;
  readonly clock: NodeClock;
  readonly delegate: RecordDelegate;
  readonly list: Memberlist;
  state: SimNodeState;
}

/** A member left an observer's view: declared dead, or gone gracefully ('left'). */
export interface MemberLeftEvent {
  readonly observer: SimNode;
  readonly member: Member;
}

/** An observer's view of a member changed state (alive, suspect, dead, left). */
export interface MemberStateEvent {
  readonly observer: SimNode;
  readonly member: Member;
}

export interface RecordAcceptedEvent {
  readonly node: SimNode;
  readonly id: string;
  readonly record: HeldRecord;
}

/** A 32-bit mix of the seed and a stream number, so each node gets its own random sequence. */
function mixSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** 10.x.y.z for node i (i + 1 spread over the last three bytes). */
function hostOf(index: number): string {
  const n = index + 1;
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export class SimCluster {
  readonly clock: SimClock;
  readonly network: MemoryNetwork;
  readonly nodes: SimNode[] = [];
  readonly membership: MembershipOptions;
  private readonly memberLeft = new Emitter<MemberLeftEvent>();
  private readonly recordAccepted = new Emitter<RecordAcceptedEvent>();
  private readonly memberStateChanged = new Emitter<MemberStateEvent>();
  /** Every node's view of a member leaving (dead or left). */
  readonly onMemberLeft: Event<MemberLeftEvent> = this.memberLeft.event;
  /** Every node's view of a member changing state, including to and from suspect. */
  readonly onMemberStateChanged: Event<MemberStateEvent> = this.memberStateChanged.event;
  /** A node accepted a newer version of a record. */
  readonly onRecordAccepted: Event<RecordAcceptedEvent> = this.recordAccepted.event;
  private started = false;
  /** The simulator's own random choices (push/pull stagger of a warm start). */
  private readonly rng: () => number;

  constructor(readonly options: SimClusterOptions) {
    if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new BugError(`nodes must be a positive integer, not ${options.nodes}`);
    if (options.nodes > 0xfffffe) throw new BugError('at most 16,777,214 nodes (10.0.0.0/8)');
    const seed = options.seed ?? 1;
    this.membership = options.membership ?? LAN_MEMBERSHIP_OPTIONS;
    this.rng = seededRandom(mixSeed(seed, 0xfffffffe));
    this.clock = new SimClock();
    this.network = new MemoryNetwork({
      clock: this.clock,
      rng: seededRandom(mixSeed(seed, 0xffffffff)),
      latencyMs: options.latencyMs ?? 1,
      jitterMs: options.jitterMs ?? 0,
      lossRate: options.lossRate ?? 0,
    });
    const logger = options.logger ?? silentLogger();
    const dialect = goSidecarDialect(options.clusterName ?? 'default');
    const meta = new TextEncoder().encode(`{"ClusterName":${JSON.stringify(options.clusterName ?? 'default')},"State":"Running"}`);
    for (let i = 0; i < options.nodes; i++) {
      const address: PeerAddress = { host: hostOf(i), port: SIM_PORT };
      const clock = new NodeClock(this.clock);
      const name = `node-${i}`;
      let list: Memberlist | undefined;
      let node: SimNode | undefined;
      const delegate = new RecordDelegate({
        meta,
        nowMs: () => this.clock.nowMs(),
        relay: (payload, id) => list?.broadcast(payload, id),
        onAccept: (id, record) => {
          if (node !== undefined) this.recordAccepted.fire({ node, id, record });
        },
      });
      list = new Memberlist({
        name,
        transport: this.network.createTransport(address),
        delegate,
        wire: { dialect, keyring: null },
        membership: this.membership,
        logger,
        clock,
        random: seededRandom(mixSeed(seed, i)),
      });
      node = { index: i, name, address, clock, delegate, list, state: 'running' };
      this.nodes.push(node);
    }
  }

  /** Nodes still running (not killed, not left). */
  get liveNodes(): SimNode[] {
    return this.nodes.filter((n) => n.state === 'running');
  }

  /**
   * Starts every node. With `warm` (the default), each node first learns every other node
   * (alive, incarnation 1, as each announces itself on start), as after a settled join, without
   * gossiping any of it, and its first push/pull falls anywhere in the interval a node of a
   * settled cluster of that size uses (not all in the first 20 s, as for N nodes started at
   * once); otherwise nodes start alone (see {@link joinAll}). Nodes start over
   * `startSpreadMs`; the clock has run that long when this resolves.
   */
  async start(warm = true): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (warm) {
      const vsn = Uint8Array.from(DEFAULT_VSN);
      const meta = this.nodes[0]?.delegate.nodeMeta() ?? new Uint8Array(0);
      const alives: Alive[] = this.nodes.map((n) => ({
        type: 'alive',
        incarnation: 1,
        node: n.name,
        addr: ipToBytes(n.address.host) ?? new Uint8Array(4),
        port: n.address.port,
        meta,
        vsn,
      }));
      for (const node of this.nodes) {
        node.list.seedMembers(alives.filter((a) => a.node !== node.name));
      }
    }
    const spreadMs = this.options.startSpreadMs ?? this.membership.gossipIntervalMs;
    const startOne = async (node: SimNode): Promise<void> => {
      await node.list.start();
      node.list.onDidLeave((member) => this.memberLeft.fire({ observer: node, member }));
      node.list.onDidChangeState((member) => this.memberStateChanged.fire({ observer: node, member }));
    };
    if (spreadMs <= 0) {
      for (const node of this.nodes) await startOne(node);
      return;
    }
    // Start times drawn in node order, started in time order (ties: node order).
    const starts = this.nodes.map((node) => ({ node, atMs: Math.floor(this.rng() * spreadMs) }));
    const started: Promise<void>[] = [];
    for (const { node, atMs } of starts) this.clock.setTimeout(() => started.push(startOne(node)), atMs);
    await this.clock.advance(spreadMs);
    await Promise.all(started);
  }

  /**
   * Joins every node to node 0 (memberlist Join: a push/pull each), then runs until every
   * node sees all N alive or `maxMs` pass. O(N²) work: for small clusters and tests.
   */
  async joinAll(maxMs = 60_000): Promise<boolean> {
    const seed = this.nodes[0];
    if (seed === undefined) return true;
    const joins = Promise.all(this.nodes.slice(1).map((n) => n.list.join([seed.address])));
    await this.clock.runUntilSettled(joins, maxMs);
    const n = this.nodes.length;
    return this.clock.runWhile(() => this.nodes.some((node) => node.list.numMembers !== n), maxMs, 100);
  }

  /** Crashes a node: it stops at once and says nothing (no leave message). */
  async kill(node: SimNode): Promise<void> {
    if (node.state !== 'running') return;
    node.state = 'killed';
    await node.list.close();
  }

  /**
   * Leaves gracefully, as the daemon does on shutdown: gossips our own death, waits for it to
   * go out (or `timeoutMs`), then closes. Runs the clock meanwhile; resolves when closed.
   */
  async leave(node: SimNode, timeoutMs = 2000): Promise<void> {
    if (node.state !== 'running') return;
    node.state = 'left';
    await this.clock.runUntilSettled(node.list.leave(timeoutMs), timeoutMs + 1000);
    await node.list.close();
  }

  /**
   * Blocks a node's event loop for `durationMs` from now: its timers are held and fire late
   * at the end, then the packets and stream data that arrived meanwhile are delivered.
   */
  stall(node: SimNode, durationMs: number): void {
    const untilMs = this.clock.nowMs() + durationMs;
    node.clock.stall(untilMs);
    this.network.stall(node.address.host, untilMs);
  }

  /** Publishes version `version` of record `id` at `node` (a local service change) and gossips it. */
  publish(node: SimNode, id: string, version: number, payload: Uint8Array): void {
    node.delegate.publish(id, version, payload);
  }

  /** Closes every node still open. Idempotent. */
  async close(): Promise<void> {
    for (const node of this.nodes) await node.list.close();
    this.memberLeft.dispose();
    this.memberStateChanged.dispose();
    this.recordAccepted.dispose();
  }
}
