/**
 * SWIM's failure detector with Lifeguard (memberlist state.go probe / probeNode): one member
 * per probe interval, in a shuffled round-robin order; a direct ping, then after the probe
 * timeout indirect pings through `indirectChecks` peers plus a TCP ping, then a suspicion.
 * Timeouts stretch with the awareness score. Node-specific: a deadline that fires late because
 * our own event loop stalled is extended instead of accusing the peer (the ack is most
 * likely sitting unread in our socket buffer).
 */
import type { TimerHandle } from '../../core/index.js';
import type { AckHandler } from './ack-registry.js';
import { encodeMessage } from '../wire/codec.js';
import type { Member } from './members.js';
import type { IndirectPing, Ping } from '../wire/messages.js';
import { addressOf, peerAddress, peerMaxProtocol, type ProtocolContext } from './protocol-context.js';
import { shuffleInPlace } from './random.js';
import type { StreamExchange } from './stream-exchange.js';
import type { PeerAddress } from '../transports/transport.js';

/** A deadline counts as missed through our own fault when it fires this late (ms, or half the probe timeout if larger). */
const MIN_STALL_LATENESS_MS = 50;
/** The ack handler of a probe outlives its probe interval by this factor (see probe()). */
const ACK_HANDLER_SAFETY_FACTOR = 3;

interface ProbeRun {
  readonly target: Member;
  readonly seqNo: number;
  readonly startedAtMs: number;
  acked: boolean;
  nacks: number;
  expectedNacks: number;
  timer: TimerHandle | null;
  /** What takes this probe's ack, and how long the registry keeps it (see probe()). */
  readonly handler: AckHandler;
  readonly ackWindowMs: number;
}

export class Prober {
  private order: string[] = [];
  private index = 0;
  private next: TimerHandle | null = null;
  private current: ProbeRun | null = null;
  private closed = false;

  constructor(
    private readonly ctx: ProtocolContext,
    private readonly streams: StreamExchange,
  ) {}

  /** Starts probing after a random fraction of one interval (so nodes do not probe in step). */
  start(): void {
    this.schedule(Math.floor(this.ctx.random() * this.ctx.options.probeIntervalMs));
  }

  close(): void {
    this.closed = true;
    if (this.next !== null) this.ctx.clock.clearTimeout(this.next);
    this.next = null;
    this.finishTimers();
    this.current = null;
  }

  /** Answers a direct ping (memberlist handlePing): an ack to the sender's stated or packet address. */
  handlePing(ping: Ping, from: PeerAddress): void {
    if (ping.node !== '' && ping.node !== this.ctx.localName) {
      this.ctx.stats.drop('pingForOtherNode');
      return;
    }
    const ack = encodeMessage({ type: 'ack', seqNo: ping.seqNo, payload: new Uint8Array(0) }, this.ctx.codec.dialect);
    const to = ping.sourceAddr.length > 0 && ping.sourcePort > 0 ? peerAddress(ping.sourceAddr, ping.sourcePort) : from;
    this.ctx.send(to, peerMaxProtocol(this.ctx.table.peek(ping.sourceNode)), [ack], true);
  }

  /**
   * Probes a node for a peer (memberlist handleIndirectPing): pings it with our own sequence
   * number and relays the ack; with `nack` set, answers a nack when it stays silent.
   */
  handleIndirectPing(req: IndirectPing, from: PeerAddress): void {
    const { ctx } = this;
    const requester = req.sourceAddr.length > 0 && req.sourcePort > 0 ? peerAddress(req.sourceAddr, req.sourcePort) : from;
    const requesterMax = peerMaxProtocol(ctx.table.peek(req.sourceNode));
    const seqNo = ctx.acks.nextSeqNo();
    let nackTimer: TimerHandle | null = null;
    ctx.acks.expect(
      seqNo,
      {
        onAck: () => {
          if (nackTimer !== null) ctx.clock.clearTimeout(nackTimer);
          const ack = encodeMessage({ type: 'ack', seqNo: req.seqNo, payload: new Uint8Array(0) }, ctx.codec.dialect);
          ctx.send(requester, requesterMax, [ack], true);
        },
      },
      ctx.options.probeTimeoutMs,
    );
    if (req.nack) {
      nackTimer = ctx.clock.setTimeout(() => {
        ctx.acks.cancel(seqNo);
        ctx.send(requester, requesterMax, [encodeMessage({ type: 'nack', seqNo: req.seqNo }, ctx.codec.dialect)], true);
      }, ctx.options.probeTimeoutMs);
    }
    const target = peerAddress(req.target, req.port);
    ctx.send(target, peerMaxProtocol(ctx.table.peek(req.node)), [this.encodePing(seqNo, req.node)], true);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.next = this.ctx.clock.setTimeout(() => {
      this.next = null;
      this.tick();
    }, delayMs);
  }

  private tick(): void {
    const startedAtMs = this.ctx.clock.nowMs();
    const target = this.nextTarget();
    if (target === undefined) {
      this.schedule(this.ctx.options.probeIntervalMs);
      return;
    }
    this.probe(target, startedAtMs);
  }

  /** The next member to probe: alive or suspect, not us; reshuffles (and reaps) at the end of a pass. */
  private nextTarget(): Member | undefined {
    const { table, localName } = this.ctx;
    for (let tries = 0; tries <= this.order.length; tries++) {
      if (this.index >= this.order.length) {
        table.reapDead(this.ctx.options.gossipToTheDeadTimeMs);
        this.order = shuffleInPlace(table.names(), this.ctx.random);
        this.index = 0;
        if (this.order.length === 0) return undefined;
      }
      const name = this.order[this.index++] as string;
      if (name === localName) continue;
      const m = table.peek(name);
      if (m !== undefined && (m.state === 'alive' || m.state === 'suspect')) return m;
    }
    return undefined;
  }

  private encodePing(seqNo: number, node: string): Uint8Array {
    const ping: Ping = { type: 'ping', seqNo, node, sourceAddr: this.ctx.localAddr, sourcePort: this.ctx.localPort, sourceNode: this.ctx.localName };
    return encodeMessage(ping, this.ctx.codec.dialect);
  }

  private probe(target: Member, startedAtMs: number): void {
    const { ctx } = this;
    ctx.stats.add('probes');
    const intervalMs = ctx.awareness.scaleTimeoutMs(ctx.options.probeIntervalMs);
    const handler: AckHandler = { onAck: () => this.finish(run, true), onNack: () => (run.nacks += 1) };
    const run: ProbeRun = { target, seqNo: ctx.acks.nextSeqNo(), startedAtMs, acked: false, nacks: 0, expectedNacks: 0, timer: null, handler, ackWindowMs: ACK_HANDLER_SAFETY_FACTOR * intervalMs };
    this.current = run;
    // The prober ends the wait itself (finish cancels the handler); the registry's own expiry
    // is only a safety net, set long so a stall that delays every timer cannot drop an ack
    // still waiting unread in our socket buffer (a stall grace renews it, see arm()).
    ctx.acks.expect(run.seqNo, handler, run.ackWindowMs);
    const messages = [this.encodePing(run.seqNo, target.name)];
    // Buddy system: tell a suspect node it is suspected, so it can refute at once.
    if (target.state === 'suspect') {
      messages.push(encodeMessage({ type: 'suspect', incarnation: target.incarnation, node: target.name, from: ctx.localName }, ctx.codec.dialect));
    }
    ctx.send(addressOf(target), peerMaxProtocol(target), messages, true);
    this.arm(run, ctx.awareness.scaleTimeoutMs(ctx.options.probeTimeoutMs), () => this.goIndirect(run, intervalMs));
  }

  /** Arms the run's deadline; a deadline reached late (our stall) is extended once per firing. */
  private arm(run: ProbeRun, delayMs: number, onDeadline: () => void): void {
    const dueAtMs = this.ctx.clock.nowMs() + delayMs;
    run.timer = this.ctx.clock.setTimeout(() => {
      run.timer = null;
      if (this.current !== run || run.acked) return;
      const lateMs = this.ctx.clock.nowMs() - dueAtMs;
      if (lateMs > Math.max(MIN_STALL_LATENESS_MS, this.ctx.options.probeTimeoutMs / 2)) {
        this.ctx.stats.add('stallGraces');
        this.ctx.awareness.noteEventLoopDelayMs(lateMs);
        // The registry's expiry is just as late and would fire next, before the held ack is
        // read: renew it, so a stall of any length keeps the ack.
        this.ctx.acks.expect(run.seqNo, run.handler, run.ackWindowMs);
        this.arm(run, this.ctx.awareness.scaleTimeoutMs(this.ctx.options.probeTimeoutMs), onDeadline);
        return;
      }
      onDeadline();
    }, delayMs);
  }

  private goIndirect(run: ProbeRun, intervalMs: number): void {
    const { ctx } = this;
    const { target } = run;
    const peers = ctx.table.sample(ctx.options.indirectChecks, ctx.random, (m) => m.name !== ctx.localName && m.name !== target.name && m.state === 'alive');
    for (const peer of peers) {
      const wantsNack = peerMaxProtocol(peer) >= 4;
      if (wantsNack) run.expectedNacks += 1;
      const req: IndirectPing = {
        type: 'indirectPing',
        seqNo: run.seqNo,
        target: target.addr,
        port: target.port,
        node: target.name,
        nack: wantsNack,
        sourceAddr: ctx.localAddr,
        sourcePort: ctx.localPort,
        sourceNode: ctx.localName,
      };
      ctx.stats.add('indirectProbes');
      ctx.send(addressOf(peer), peerMaxProtocol(peer), [encodeMessage(req, ctx.codec.dialect)], true);
    }
    // The rest of the probe interval, but never less than a probe timeout: after a stall grace
    // the interval may already be over, and the indirect probes still deserve their time.
    const remainingMs = Math.max(run.startedAtMs + intervalMs - ctx.clock.nowMs(), ctx.awareness.scaleTimeoutMs(ctx.options.probeTimeoutMs));
    // TCP fallback (memberlist, protocol ≥ 3): gets through where only UDP is lost.
    if (peerMaxProtocol(target) >= 3 || target.vsn.length === 0) {
      ctx.stats.add('tcpFallbackProbes');
      void this.streams.pingStream(addressOf(target), target.name, remainingMs).then((ok) => {
        if (ok && this.current === run && !run.acked) this.finish(run, true);
      });
    }
    this.arm(run, remainingMs, () => this.finish(run, false));
  }

  private finish(run: ProbeRun, ok: boolean): void {
    if (this.current !== run || run.acked) return;
    run.acked = ok;
    const { ctx } = this;
    ctx.acks.cancel(run.seqNo);
    this.finishTimers();
    this.current = null;
    if (ok) ctx.awareness.applyDelta(-1);
    else {
      ctx.stats.add('probesFailed');
      ctx.awareness.applyDelta(run.expectedNacks > 0 ? Math.max(0, run.expectedNacks - run.nacks) : 1);
      const now = ctx.table.peek(run.target.name);
      if (now !== undefined && (now.state === 'alive' || now.state === 'suspect')) {
        ctx.log.debug({ node: now.name }, 'probe failed; suspecting node');
        ctx.stats.add('suspicionsRaised');
        ctx.queueMemberBroadcasts(ctx.table.suspectNode({ type: 'suspect', incarnation: now.incarnation, node: now.name, from: ctx.localName }));
      }
    }
    // Keep the probe rhythm: the next probe starts one interval after this one started.
    const elapsedMs = ctx.clock.nowMs() - run.startedAtMs;
    const intervalMs = ctx.options.probeIntervalMs;
    this.schedule(Math.max(0, Math.ceil(Math.max(elapsedMs, 1) / intervalMs) * intervalMs - elapsedMs));
  }

  private finishTimers(): void {
    const run = this.current;
    if (run?.timer != null) {
      this.ctx.clock.clearTimeout(run.timer);
      run.timer = null;
    }
  }
}
