/**
 * The member table and SWIM's state machine (memberlist state.go aliveNode / suspectNode /
 * deadNode / refute / mergeState), without sockets: each transition returns the messages to
 * gossip as data and the caller encodes and queues them (named by node, so a newer message
 * about a node replaces the older one in the broadcast queue).
 */
import { Emitter, type Clock, type Event } from '../../core/index.js';
import type { Alive, Dead, Suspect } from '../wire/messages.js';
import { NodeStateType } from '../wire/messages.js';
import type { PushNodeState } from '../wire/push-pull.js';
import { suspicionTimeoutMs } from './math.js';
import { Suspicion } from './suspicion.js';
import type { Awareness } from './awareness.js';

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** A snapshot of one member (copied out; the table's own records never escape). */
export interface Member {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array;
  /** pmin, pmax, pcur, dmin, dmax, dcur (empty until an alive with a Vsn was seen). */
  readonly vsn: Uint8Array;
  readonly incarnation: number;
  readonly state: MemberState;
  /** Clock time of the last state change, in ms. */
  readonly stateChangeMs: number;
}

/** A message to gossip, named by the node it is about (the broadcast queue's invalidation key). */
export interface MemberBroadcast {
  readonly name: string;
  readonly message: Alive | Suspect | Dead;
}

export interface SuspicionTimeout {
  readonly member: Member;
  readonly confirmations: number;
  /** The dead message (and anything else) to gossip as a result. */
  readonly broadcasts: readonly MemberBroadcast[];
}

export interface AddressConflict {
  readonly existing: Member;
  readonly claimed: Alive;
}

export interface MemberTableOptions {
  /** Our own node name. */
  readonly localName: string;
  readonly clock: Clock;
  /** Lifeguard health: refuting raises it by one. */
  readonly awareness: Awareness;
  /** memberlist SuspicionMult (Sidecar 5, stock 4). */
  readonly suspicionMult: number;
  /** memberlist SuspicionMaxTimeoutMult (6). */
  readonly suspicionMaxTimeoutMult: number;
  /** memberlist ProbeInterval, the unit of the suspicion timeout. */
  readonly probeIntervalMs: number;
  /**
   * After this long a dead node's address may be claimed by a new node of the same name.
   * Default 0 (never; memberlist DeadNodeReclaimTime default). Left nodes can always be reclaimed.
   */
  readonly deadNodeReclaimTimeMs?: number;
}

interface MemberRecord {
  name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  vsn: Uint8Array;
  incarnation: number;
  state: MemberState;
  stateChangeMs: number;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function snapshot(r: MemberRecord): Member {
  return { ...r, addr: r.addr.slice(), meta: r.meta.slice(), vsn: r.vsn.slice() };
}

const STATE_BY_WIRE: ReadonlyMap<number, MemberState> = new Map([
  [NodeStateType.alive, 'alive'],
  [NodeStateType.suspect, 'suspect'],
  [NodeStateType.dead, 'dead'],
  [NodeStateType.left, 'left'],
]);

export class MemberTable {
  private readonly records = new Map<string, MemberRecord>();
  /** The same records in insertion order, for O(1) random picks (rebuilt when nodes are reaped). */
  private order: MemberRecord[] = [];
  private readonly suspicions = new Map<string, Suspicion>();
  private incarnation = 0;
  private leaving = false;
  private refuted = 0;

  private readonly didJoin = new Emitter<Member>();
  private readonly didUpdate = new Emitter<Member>();
  private readonly didLeave = new Emitter<Member>();
  private readonly didTimeoutSuspicion = new Emitter<SuspicionTimeout>();
  private readonly didConflict = new Emitter<AddressConflict>();
  private readonly didChangeState = new Emitter<Member>();
  /** A node became alive after being unknown, dead or left. */
  readonly onDidJoin: Event<Member> = this.didJoin.event;
  /** An alive node's metadata changed. */
  readonly onDidUpdate: Event<Member> = this.didUpdate.event;
  /** A node was declared dead or left. */
  readonly onDidLeave: Event<Member> = this.didLeave.event;
  /** A suspicion ran out and the node was declared dead; queue `broadcasts`. */
  readonly onDidTimeoutSuspicion: Event<SuspicionTimeout> = this.didTimeoutSuspicion.event;
  /** A member's state changed (alive, suspect, dead, left), including to and from suspect. */
  readonly onDidChangeState: Event<Member> = this.didChangeState.event;
  /** Another node claimed a live member's name from a different address (ignored). */
  readonly onDidConflict: Event<AddressConflict> = this.didConflict.event;

  constructor(private readonly options: MemberTableOptions) {}

  /** Suspicions or deaths of this node refuted so far (a counter for metrics). */
  get refutations(): number {
    return this.refuted;
  }

  /** Our current incarnation number. */
  get localIncarnation(): number {
    return this.incarnation;
  }

  get hasLeft(): boolean {
    return this.leaving;
  }

  /** Every known node, including dead and left ones not yet reaped (memberlist estNumNodes). */
  get size(): number {
    return this.records.size;
  }

  get(name: string): Member | undefined {
    const r = this.records.get(name);
    return r === undefined ? undefined : snapshot(r);
  }

  /**
   * The live record of one member, not copied: for the protocol's hot paths only (callers
   * must not keep or change it).
   */
  peek(name: string): Member | undefined {
    return this.records.get(name);
  }

  /** Every node name, in table order. */
  names(): string[] {
    return this.order.map((r) => r.name);
  }

  /**
   * Up to `k` distinct members accepted by `accept`, chosen at random (memberlist kRandomNodes:
   * at most 3n random probes), not copied.
   */
  sample(k: number, random: () => number, accept: (m: Member) => boolean): Member[] {
    const n = this.order.length;
    const out: MemberRecord[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const r = this.order[Math.floor(random() * n)];
      if (r === undefined || out.includes(r) || !accept(r)) continue;
      out.push(r);
    }
    return out;
  }

  members(): Member[] {
    return [...this.records.values()].map(snapshot);
  }

  /** Nodes currently alive or suspect (memberlist NumMembers counts these). */
  liveMembers(): Member[] {
    return [...this.records.values()].filter((r) => r.state === 'alive' || r.state === 'suspect').map(snapshot);
  }

  /** Names with a suspicion timer running (for tests and metrics). */
  get suspectedNames(): string[] {
    return [...this.suspicions.keys()];
  }

  /** Bumps our incarnation by one (memberlist nextIncarnation). */
  nextIncarnation(): number {
    this.incarnation += 1;
    return this.incarnation;
  }

  /**
   * Adds ourselves at start-up (memberlist setAlive): an alive at the next incarnation,
   * accepted as bootstrap so it is not refuted.
   */
  setLocalAlive(addr: Uint8Array, port: number, meta: Uint8Array, vsn: Uint8Array): MemberBroadcast[] {
    const a: Alive = { type: 'alive', incarnation: this.nextIncarnation(), node: this.options.localName, addr, port, meta, vsn };
    return this.aliveNode(a, true);
  }

  /**
   * Applies an alive message. Accepted when the node is new or the incarnation is newer (or
   * it reclaims the name of a left node from another address); about ourselves, anything
   * but an echo of our own current alive is refuted with a higher incarnation.
   */
  aliveNode(a: Alive, bootstrap = false): MemberBroadcast[] {
    const isLocal = a.node === this.options.localName;
    if (this.leaving && isLocal) return [];
    if (a.vsn.length >= 3) {
      const [pMin = 0, pMax = 0] = a.vsn;
      if (pMin === 0 || pMax === 0 || pMin > pMax) return [];
    }
    let record = this.records.get(a.node);
    let firstSight = false;
    let reclaims = false;
    if (record === undefined) {
      record = { name: a.node, addr: a.addr, port: a.port, meta: a.meta, vsn: a.vsn.length >= 6 ? a.vsn : new Uint8Array(0), incarnation: 0, state: 'dead', stateChangeMs: this.options.clock.nowMs() };
      this.records.set(a.node, record);
      this.order.push(record);
      firstSight = true;
    } else if (!bytesEqual(record.addr, a.addr) || record.port !== a.port) {
      const reclaimMs = this.options.deadNodeReclaimTimeMs ?? 0;
      const canReclaim = reclaimMs > 0 && this.options.clock.nowMs() - record.stateChangeMs > reclaimMs;
      if (record.state === 'left' || (record.state === 'dead' && canReclaim)) reclaims = true;
      else {
        this.didConflict.fire({ existing: snapshot(record), claimed: a });
        return [];
      }
    }
    // Deliberate difference: memberlist ignores a first-sight alive at incarnation 0 (and
    // leaves a dead placeholder behind); we accept it, since nothing newer is known.
    if (a.incarnation <= record.incarnation && !isLocal && !reclaims && !firstSight) return [];
    if (a.incarnation < record.incarnation && isLocal) return [];

    this.cancelSuspicion(a.node);
    const oldState = record.state;
    const oldMeta = record.meta;
    const out: MemberBroadcast[] = [];
    if (!bootstrap && isLocal && !firstSight) {
      if (a.incarnation === record.incarnation && bytesEqual(a.meta, record.meta) && bytesEqual(a.vsn, record.vsn)) return [];
      return this.refute(record, a.incarnation);
    }
    out.push({ name: a.node, message: a });
    if (a.vsn.length >= 6) record.vsn = a.vsn;
    record.incarnation = a.incarnation;
    record.meta = a.meta;
    record.addr = a.addr;
    record.port = a.port;
    if (isLocal) this.incarnation = Math.max(this.incarnation, a.incarnation);
    const changed = record.state !== 'alive';
    if (changed) {
      record.state = 'alive';
      record.stateChangeMs = this.options.clock.nowMs();
    }
    if (oldState === 'dead' || oldState === 'left') this.didJoin.fire(snapshot(record));
    else if (!bytesEqual(oldMeta, record.meta)) this.didUpdate.fire(snapshot(record));
    if (changed) this.didChangeState.fire(snapshot(record));
    return out;
  }

  /**
   * Applies a suspect message. Ignored for unknown nodes and old incarnations; confirms a
   * running suspicion (re-gossiped when the confirmer is new); about ourselves, refuted;
   * otherwise marks an alive node suspect and starts its Lifeguard timer.
   */
  suspectNode(s: Suspect): MemberBroadcast[] {
    const record = this.records.get(s.node);
    if (record === undefined || s.incarnation < record.incarnation) return [];
    const running = this.suspicions.get(s.node);
    if (running !== undefined) return running.confirm(s.from) ? [{ name: s.node, message: s }] : [];
    if (record.state !== 'alive') return [];
    if (record.name === this.options.localName) return this.refute(record, s.incarnation);

    record.incarnation = s.incarnation;
    record.state = 'suspect';
    const changedAtMs = this.options.clock.nowMs();
    record.stateChangeMs = changedAtMs;

    const n = this.records.size;
    let k = this.options.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const minMs = suspicionTimeoutMs(this.options.suspicionMult, n, this.options.probeIntervalMs);
    const maxMs = this.options.suspicionMaxTimeoutMult * minMs;
    const suspicion = new Suspicion({
      from: s.from,
      k,
      minMs,
      maxMs,
      clock: this.options.clock,
      onTimeout: (confirmations) => this.suspicionExpired(s.node, changedAtMs, confirmations),
    });
    this.suspicions.set(s.node, suspicion);
    suspicion.start();
    this.didChangeState.fire(snapshot(record));
    return [{ name: s.node, message: s }];
  }

  /**
   * Applies a dead message. Ignored for unknown nodes, old incarnations and nodes already
   * dead or left; about ourselves while not leaving, refuted. A node that announces its own
   * death (node == from) has left; otherwise it is dead.
   */
  deadNode(d: Dead): MemberBroadcast[] {
    const record = this.records.get(d.node);
    if (record === undefined || d.incarnation < record.incarnation) return [];
    this.cancelSuspicion(d.node);
    if (record.state === 'dead' || record.state === 'left') return [];
    if (record.name === this.options.localName && !this.leaving) return this.refute(record, d.incarnation);
    record.incarnation = d.incarnation;
    record.state = d.node === d.from ? 'left' : 'dead';
    record.stateChangeMs = this.options.clock.nowMs();
    this.didLeave.fire(snapshot(record));
    this.didChangeState.fire(snapshot(record));
    return [{ name: d.node, message: d }];
  }

  /** Graceful leave: from now on we do not refute, and we gossip our own death (node == from). */
  leave(): MemberBroadcast[] {
    this.leaving = true;
    const me = this.records.get(this.options.localName);
    if (me === undefined) return [];
    return this.deadNode({ type: 'dead', incarnation: me.incarnation, node: me.name, from: me.name });
  }

  /** Applies a peer's push/pull node list (memberlist mergeState); returns what to gossip. */
  mergeRemoteState(remote: readonly PushNodeState[]): MemberBroadcast[] {
    const out: MemberBroadcast[] = [];
    for (const r of remote) {
      const state = STATE_BY_WIRE.get(r.state);
      if (state === 'alive') {
        out.push(...this.aliveNode({ type: 'alive', incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }));
      } else if (state === 'left') {
        out.push(...this.deadNode({ type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name }));
      } else if (state === 'dead' || state === 'suspect') {
        // As memberlist: a remote "dead" only makes us suspect, so we check for ourselves.
        out.push(...this.suspectNode({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: this.options.localName }));
      }
    }
    return out;
  }

  /** Our table as push/pull records. */
  localState(): PushNodeState[] {
    const wire = { alive: NodeStateType.alive, suspect: NodeStateType.suspect, dead: NodeStateType.dead, left: NodeStateType.left };
    return [...this.records.values()].map((r) => ({ name: r.name, addr: r.addr, port: r.port, meta: r.meta, incarnation: r.incarnation, state: wire[r.state], vsn: r.vsn }));
  }

  /**
   * Forgets dead and left nodes whose state changed at least `gossipToTheDeadTimeMs` ago
   * (memberlist stops gossiping to them then and drops them). Returns the names removed.
   */
  reapDead(gossipToTheDeadTimeMs: number): string[] {
    const now = this.options.clock.nowMs();
    const removed: string[] = [];
    for (const r of [...this.records.values()]) {
      if ((r.state === 'dead' || r.state === 'left') && r.name !== this.options.localName && now - r.stateChangeMs >= gossipToTheDeadTimeMs) {
        this.records.delete(r.name);
        removed.push(r.name);
      }
    }
    if (removed.length > 0) this.order = this.order.filter((r) => this.records.get(r.name) === r);
    return removed;
  }

  /** Cancels every suspicion timer and drops listeners. Idempotent. */
  dispose(): void {
    for (const s of this.suspicions.values()) s.cancel();
    this.suspicions.clear();
    this.didJoin.dispose();
    this.didUpdate.dispose();
    this.didLeave.dispose();
    this.didTimeoutSuspicion.dispose();
    this.didConflict.dispose();
    this.didChangeState.dispose();
  }

  private refute(me: MemberRecord, accusedIncarnation: number): MemberBroadcast[] {
    this.refuted++;
    let inc = this.nextIncarnation();
    if (accusedIncarnation >= inc) {
      inc = accusedIncarnation + 1;
      this.incarnation = inc;
    }
    me.incarnation = inc;
    this.options.awareness.applyDelta(1);
    const a: Alive = { type: 'alive', incarnation: inc, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: me.vsn };
    return [{ name: me.name, message: a }];
  }

  private cancelSuspicion(name: string): void {
    const s = this.suspicions.get(name);
    if (s === undefined) return;
    s.cancel();
    this.suspicions.delete(name);
  }

  private suspicionExpired(name: string, changedAtMs: number, confirmations: number): void {
    const record = this.records.get(name);
    if (record === undefined || record.state !== 'suspect' || record.stateChangeMs !== changedAtMs) return;
    const broadcasts = this.deadNode({ type: 'dead', incarnation: record.incarnation, node: name, from: this.options.localName });
    this.didTimeoutSuspicion.fire({ member: snapshot(record), confirmations, broadcasts });
  }
}
