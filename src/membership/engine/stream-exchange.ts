/**
 * Everything this node does over TCP streams (memberlist net.go): push/pull anti-entropy (on
 * join and periodically), user messages too big for a packet, the TCP fallback ping, and
 * answering all three when a peer connects to us.
 */
import type { PushPull, StreamMessage } from '../wire/push-pull.js';
import type { ProtocolContext } from './protocol-context.js';
import { awaitPeerClose, readStreamMessage, type StreamReadLimits } from '../transports/stream-reader.js';
import { formatPeerAddress, type PeerAddress, type StreamConnection } from '../transports/transport.js';

/** Outcome of a push/pull with one peer. */
export type PushPullResult = { readonly ok: true; readonly nodes: number } | { readonly ok: false; readonly error: string };

export class StreamExchange {
  constructor(private readonly ctx: ProtocolContext) {}

  /** Limits on reading a reply to a stream we opened. */
  private replyLimits(timeoutMs: number): StreamReadLimits {
    return { timeoutMs, maxBytes: this.ctx.options.maxStreamBytes };
  }

  /** Our full state: the member table and the delegate's state. */
  private localPushPull(join: boolean): PushPull {
    return { type: 'pushPull', join, nodes: this.ctx.table.localState(), userState: this.ctx.delegate.localState(join) };
  }

  /** Sends our state to a peer and merges theirs (memberlist pushPullNode). */
  async pushPull(to: PeerAddress, join: boolean): Promise<PushPullResult> {
    const { ctx } = this;
    ctx.stats.add('pushPulls');
    const fail = (error: string): PushPullResult => {
      ctx.stats.add('pushPullsFailed');
      return { ok: false, error };
    };
    let conn: StreamConnection;
    try {
      conn = await ctx.transport.dialStream(to, ctx.options.tcpTimeoutMs);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
    try {
      ctx.stats.messageSent('pushPull');
      conn.write(ctx.codec.encodeStream(this.localPushPull(join)));
      const reply = await readStreamMessage(conn, ctx.codec, ctx.clock, this.replyLimits(ctx.options.tcpTimeoutMs));
      if (reply.status !== 'done') {
        // The fork closes the connection on a cluster-name mismatch, so the joiner sees only EOF.
        return fail(`push/pull with ${formatPeerAddress(to)} failed: ${reply.failure.detail} (is it in cluster ${JSON.stringify(ctx.codec.dialect.clusterName ?? '')} and using the same encryption keys?)`);
      }
      if (reply.message.type === 'err') return fail(`push/pull with ${formatPeerAddress(to)} refused: ${reply.message.error}`);
      if (reply.message.type !== 'pushPull') return fail(`push/pull with ${formatPeerAddress(to)}: unexpected ${reply.message.type} reply`);
      ctx.stats.messageReceived('pushPull');
      this.merge(reply.message);
      return { ok: true, nodes: reply.message.nodes.length };
    } finally {
      conn.destroy();
    }
  }

  /** Sends one user message reliably (memberlist SendReliable). */
  async sendUser(to: PeerAddress, payload: Uint8Array): Promise<boolean> {
    try {
      const conn = await this.ctx.transport.dialStream(to, this.ctx.options.tcpTimeoutMs);
      this.ctx.stats.messageSent('user');
      conn.write(this.ctx.codec.encodeStream({ type: 'user', payload }));
      conn.end();
      return true;
    } catch {
      return false;
    }
  }

  /** A ping over TCP; true when acked within `timeoutMs` (memberlist sendPingAndWaitForAck). */
  async pingStream(to: PeerAddress, node: string, timeoutMs: number): Promise<boolean> {
    const { ctx } = this;
    let conn: StreamConnection;
    try {
      conn = await ctx.transport.dialStream(to, timeoutMs);
    } catch {
      return false;
    }
    try {
      const seqNo = ctx.acks.nextSeqNo();
      const ping: StreamMessage = { type: 'ping', seqNo, node, sourceAddr: ctx.localAddr, sourcePort: ctx.localPort, sourceNode: ctx.localName };
      conn.write(ctx.codec.encodeStream(ping));
      const reply = await readStreamMessage(conn, ctx.codec, ctx.clock, this.replyLimits(timeoutMs));
      return reply.status === 'done' && reply.message.type === 'ack' && reply.message.seqNo === seqNo;
    } finally {
      conn.destroy();
    }
  }

  /**
   * Serves a stream a peer opened (memberlist handleConn), once the inbound gate admits it:
   * at most `maxInboundStreams` at once (`maxInboundStreamsPerPeer` per address), holding at
   * most `maxInboundStreamBufferedBytes` together, each done within `inboundStreamTimeoutMs`.
   */
  async handleIncoming(conn: StreamConnection): Promise<void> {
    const { ctx } = this;
    const from = formatPeerAddress(conn.remote);
    const admission = ctx.inbound.admit(conn.remote.host);
    if (typeof admission === 'string') {
      conn.destroy();
      ctx.stats.drop(admission);
      ctx.drops.limited('stream', from, admission, admission === 'streamsTotal' ? `${ctx.options.maxInboundStreams} inbound streams already open` : `${ctx.options.maxInboundStreamsPerPeer} inbound streams already open from ${conn.remote.host}`);
      return;
    }
    // A reply is ended, not destroyed: destroying would drop what is still being written.
    let replied = false;
    const reply = (msg: StreamMessage): void => {
      ctx.stats.messageSent(msg.type);
      conn.write(ctx.codec.encodeStream(msg));
      conn.end();
      replied = true;
    };
    try {
      const result = await readStreamMessage(conn, ctx.codec, ctx.clock, {
        timeoutMs: ctx.options.inboundStreamTimeoutMs,
        maxBytes: ctx.options.maxStreamBytes,
        admission,
      });
      if (result.status !== 'done') {
        ctx.stats.drop(result.failure.reason);
        ctx.drops.dropped('stream', conn.remote.host, result.failure);
        return;
      }
      const msg = result.message;
      ctx.stats.messageReceived(msg.type);
      switch (msg.type) {
        case 'pushPull':
          reply(this.localPushPull(false));
          this.merge(msg);
          return;
        case 'user':
          ctx.stats.add('userMessagesReceived');
          ctx.delegate.notifyMessage(msg.payload);
          return;
        case 'ping':
          if (msg.node !== '' && msg.node !== ctx.localName) {
            ctx.stats.drop('pingForOtherNode');
            return;
          }
          reply({ type: 'ack', seqNo: msg.seqNo, payload: new Uint8Array(0) });
          return;
        default:
          ctx.stats.drop('unknownType');
      }
    } catch (err) {
      ctx.log.warn({ err, from: formatPeerAddress(conn.remote) }, 'error serving a membership stream');
    } finally {
      // After a reply, the slot is held until the peer closes (or the deadline), so peers that
      // never read our state cannot make us hold it for many connections.
      if (replied) await awaitPeerClose(conn, ctx.clock, ctx.options.inboundStreamTimeoutMs, ctx.options.maxStreamBytes);
      else conn.destroy();
      admission.release();
    }
  }

  private merge(msg: PushPull): void {
    this.ctx.queueMemberBroadcasts(this.ctx.table.mergeRemoteState(msg.nodes));
    if (msg.userState.length > 0) this.ctx.delegate.mergeRemoteState(msg.userState, msg.join);
  }
}
