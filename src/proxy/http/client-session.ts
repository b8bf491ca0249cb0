import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { endSocket } from '../end-socket.js';
import { framerFor, DONE_FRAMER, type BodyFramer } from './body-framer.js';
import { isIdempotent, MAX_HEAD_BYTES, parseRequestHead, type RequestHead, type ResponseHead } from './http-head.js';
import type { EndpointEntry, Upstream, UpstreamOwner } from './upstream-pool.js';
import type { SessionOwner } from './session-owner.js';
import type { ProxyEndpoint } from '../forwarder.js';
import type { HttpErrorCounts } from './http-stats.js';
import { ResponseRelay, type RelayOwner } from './response-relay.js';
import { spliceTunnel } from './tunnel.js';
import { accessLogLine, addressText } from '../access-log-line.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

const enum Phase {
  /** Waiting for a request head. */
  Idle,
  /** Request parsed; choosing and connecting to an endpoint. */
  Connecting,
  /** Head sent; the request body is being forwarded. */
  Body,
  /** The request is complete upstream; waiting for the rest of the response. */
  Sent,
  /** Upgraded: raw bytes both ways. */
  Tunnel,
  /** The client connection is ending; nothing more is read. */
  Closing,
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported' };

/**
 * One client connection in HTTP mode: reads request heads, forwards one exchange at a time
 * (pipelined requests wait in `pending` until the previous response is complete) and picks
 * an endpoint per request. Responses come back through a ResponseRelay.
 */
export class ClientSession implements UpstreamOwner, RelayOwner {
  private phase = Phase.Idle;
  private pending: Buffer | undefined = undefined;
  private req: RequestHead | undefined = undefined;
  private reqFramer: BodyFramer = DONE_FRAMER;
  private reqDone = false;
  private readonly relay = new ResponseRelay(this);
  private closeAfter = false;
  private clientEnded = false;
  private staleRetried = false;
  private up: Upstream | undefined = undefined;
  private failed: Set<string> | undefined = undefined;
  private attempts = 0;
  private waitingUpstreamDrain = false;
  private startedAt = 0;
  /** Bytes of the current request read from the client (head and body), for the access log. */
  private reqBytes = 0;
  /** Access log: the client's bytesWritten at the previous line (requests on a connection are answered in turn). */
  private outAtStart = 0;
  /** Access log: the endpoint the current request was last sent to (or tried). */
  private backend: EndpointEntry | undefined = undefined;
  /** Access log: the current request's line is written. */
  private logged = true;
  /** Access log: the client's `ip:port`, made at its first line. */
  private clientText: string | undefined = undefined;
  /** Sweep tick (ctx.pool.tick) of the last client activity. */
  private seen = 0;
  done = false;
  private readonly clientIp: string;
  private readonly skip = (e: ProxyEndpoint): boolean => (this.failed !== undefined && this.failed.has(e.key)) || this.ctx.ejections.isEjected(e.key);
  private readonly skipFailed = (e: ProxyEndpoint): boolean => this.failed !== undefined && this.failed.has(e.key);

  constructor(
    readonly client: Socket,
    private readonly ctx: SessionOwner,
  ) {
    const ip = client.remoteAddress ?? '';
    this.clientIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    client.on('drain', () => {
      if (this.up !== undefined && this.up.socket.isPaused()) this.up.socket.resume();
    });
    client.on('end', () => this.onClientEnd());
    this.seen = ctx.pool.tick;
  }

  /**
   * Called by the forwarder's sweep: a client silent for `ticks` sweeps while the proxy waits
   * on it (for a request, a request body, or its FIN) is closed. Waiting on the endpoint is
   * the upstream's timeout; a tunnel has its own.
   */
  expire(tick: number, ticks: number): void {
    if (tick - this.seen <= ticks) return;
    if (this.phase === Phase.Idle || this.phase === Phase.Body || this.phase === Phase.Closing) this.client.destroy();
  }

  /** Called once the client socket has closed. */
  onClientClose(): void {
    if (!this.logged && this.phase !== Phase.Idle && this.phase !== Phase.Closing) this.logExchange(null);
    this.phase = Phase.Closing;
    this.pending = undefined;
    const up = this.up;
    this.up = undefined;
    if (up !== undefined) up.socket.destroy(); // an unfinished exchange: never back to the pool
  }

  private onClientData(chunk: Buffer): void {
    this.seen = this.ctx.pool.tick;
    if (this.phase === Phase.Body && this.pending === undefined) {
      const used = this.forwardBody(chunk, 0);
      if (used < 0 || used === chunk.length) return;
      this.pending = chunk.subarray(used);
    } else if (this.phase === Phase.Closing) {
      return;
    } else {
      this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    }
    this.pump();
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.phase === Phase.Idle && !this.client.writableEnded) this.client.end();
    else if (this.phase === Phase.Body || this.phase === Phase.Connecting && !this.reqFramer.done) this.abort();
    // Connecting with a complete request, or Sent: answer, then end (see finish()).
  }

  private pump(): void {
    for (;;) {
      const buf = this.pending;
      if (buf === undefined) return;
      if (this.phase === Phase.Idle) {
        const end = buf.indexOf(CRLFCRLF);
        if (end < 0 || end > MAX_HEAD_BYTES) {
          if (end > MAX_HEAD_BYTES || buf.length > MAX_HEAD_BYTES + 3) this.reject(431, 'request head larger than 64 KiB');
          return;
        }
        const head = parseRequestHead(buf.toString('latin1', 0, end), this.clientIp);
        if ('reason' in head) {
          this.reject(head.status, head.reason);
          return;
        }
        this.pending = end + 4 === buf.length ? undefined : buf.subarray(end + 4);
        this.begin(head, end + 4);
        continue;
      }
      if (this.phase === Phase.Body) {
        const used = this.forwardBody(buf, 0);
        if (used < 0) return;
        this.pending = used === buf.length ? undefined : buf.subarray(used);
        if (this.phase === Phase.Body) {
          // Paused while waiting for an endpoint with a head's worth buffered: read on.
          if (this.client.isPaused() && !this.waitingUpstreamDrain) this.client.resume();
          return;
        }
        continue;
      }
      // Waiting: keep what came (pipelined requests), but stop reading past a head's worth.
      if (buf.length > MAX_HEAD_BYTES && !this.client.isPaused()) this.client.pause();
      return;
    }
  }

  private begin(head: RequestHead, headBytes: number): void {
    this.req = head;
    this.reqBytes = headBytes;
    if (this.ctx.accessLog !== undefined) {
      this.logged = false;
      this.backend = undefined;
    }
    this.reqFramer = framerFor(head.body);
    this.reqDone = false;
    this.relay.reset();
    this.staleRetried = false;
    this.failed = undefined;
    this.attempts = 0;
    this.closeAfter = !head.keepAlive;
    this.startedAt = performance.now();
    this.ctx.counters.requests++;
    this.phase = Phase.Connecting;
    this.dispatch();
  }

  /** Picks the next endpoint and gets a connection to it (pooled unless an upgrade). */
  private dispatch(): void {
    const picker = this.ctx.picker;
    const endpoint = picker.next(this.skip) ?? picker.next(this.skipFailed);
    if (endpoint === undefined) {
      this.ctx.noEndpoint();
      this.respondError(503, `no healthy instance of ${this.ctx.serviceName} on port ${this.ctx.port}`, this.req?.body.kind !== 'none');
      return;
    }
    const entry = this.ctx.pool.entryOf(endpoint);
    this.backend = entry;

    const req = this.req as RequestHead;
    if (!req.upgrade) {
      const up = this.ctx.pool.take(entry, this);
      if (up !== undefined) {
        this.attach(up);
        return;
      }
    }
    this.connect(entry);
  }

  private connect(entry: EndpointEntry): void {
    this.ctx.pool.connect(entry, this, (err, up) => {
      if (this.phase !== Phase.Connecting) {
        // The client went away meanwhile.
        if (up !== undefined) up.socket.destroy();
        return;
      }
      if (up === undefined) {
        this.countError(entry, 'connect');
        this.ctx.connectFailed(entry, err);
        (this.failed ??= new Set()).add(entry.key);
        if (++this.attempts <= this.ctx.retries) {
          this.ctx.retried();
          this.dispatch();
        } else this.respondError(503, `no healthy instance of ${this.ctx.serviceName} on port ${this.ctx.port}`, this.req?.body.kind !== 'none');
        return;
      }
      this.attach(up);
    }, (this.req as RequestHead).upgrade);
  }

  private attach(up: Upstream): void {
    const req = this.req as RequestHead;
    this.up = up;
    up.entry.http.requests++;
    this.phase = Phase.Body;
    const socket = up.socket;
    const buf = this.pending;
    if (buf !== undefined && !this.reqFramer.done) {
      socket.cork();
      socket.write(req.forward, 'latin1');
      this.pump();
      socket.uncork();
    } else {
      socket.write(req.forward, 'latin1');
      if (this.reqFramer.done) this.requestSent();
      else if (this.client.isPaused()) this.client.resume();
      if (buf !== undefined) this.pump();
    }
  }

  /** Forwards request body bytes of `buf` from `start`; returns how many were used, -1 on a framing error. */
  private forwardBody(buf: Buffer, start: number): number {
    const n = this.reqFramer.feed(buf, start);
    this.reqBytes += n;
    if (n < 0) {
      this.ctx.counters.errors.badRequest++;
      if (!this.relay.headSent) this.reject(400, 'malformed chunked body');
      else this.abort();
      return -1;
    }
    const up = this.up;
    if (n > 0 && up !== undefined) {
      up.seen = this.ctx.pool.tick;
      const ok = up.socket.write(start === 0 && n === buf.length ? buf : buf.subarray(start, start + n));
      if (!ok) {
        this.waitingUpstreamDrain = true;
        this.client.pause();
      }
    }
    if (this.reqFramer.done) this.requestSent();
    return start + n;
  }

  private requestSent(): void {
    this.reqDone = true;
    if (this.phase === Phase.Body) this.phase = Phase.Sent;
  }

  onUpstreamDrain(): void {
    if (this.waitingUpstreamDrain) {
      this.waitingUpstreamDrain = false;
      this.client.resume();
    }
  }

  onUpstreamData(up: Upstream, chunk: Buffer): boolean {
    this.relay.read(up, chunk, this.req as RequestHead);
    // A write the client socket queued holds `chunk` (perhaps the upstream's read buffer).
    return this.client.writableLength > 0;
  }

  onUpstreamEnd(up: Upstream): void {
    this.relay.endedByUpstream(up);
  }

  onResponseHead(up: Upstream, res: ResponseHead): boolean {
    this.recordHead(up.entry, res.status);
    if (res.body.kind === 'close' || this.clientEnded) this.closeAfter = true;
    return this.closeAfter;
  }

  onResponseDone(up: Upstream, upstreamEnded: boolean): void {
    this.finish(up, upstreamEnded);
  }

  onBadResponse(up: Upstream, message: string): void {
    this.upstreamFailed(up, 502, 'badResponse', message);
  }

  onMalformedBody(up: Upstream): void {
    this.countError(up.entry, 'badResponse');
    this.abort();
  }

  onUpgraded(up: Upstream, res: ResponseHead, rest: Buffer | undefined): void {
    this.tunnel(up, res, rest);
  }

  onProgress(): void {
    this.seen = this.ctx.pool.tick;
  }

  onUpstreamClose(up: Upstream, err: Error | undefined): void {
    if (this.up !== up) return;
    this.up = undefined;
    if (this.phase === Phase.Closing || this.phase === Phase.Tunnel) return;
    const req = this.req as RequestHead;
    const timedOut = (err as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    if (!timedOut && !this.relay.anyByte && up.served > 0 && !this.staleRetried && req.body.kind === 'none' && isIdempotent(req.method)) {
      // A keep-alive connection the server had closed: once more on a fresh connection.
      // (Not after a server time-out: the endpoint is hung, and the client waited long enough.)
      this.staleRetried = true;
      this.phase = Phase.Connecting;
      this.connect(up.entry);
      return;
    }
    this.upstreamFailed(up, timedOut ? 504 : 502, timedOut ? 'timeout' : 'reset', timedOut ? 'upstream timed out' : 'upstream closed the connection');
  }

  private upstreamFailed(up: Upstream, status: 502 | 504, kind: 'timeout' | 'reset' | 'badResponse', message: string): void {
    this.countError(up.entry, kind);
    this.ctx.outlierFailure(up.entry);
    this.up = undefined;
    up.owner = undefined;
    up.socket.destroy();
    if (this.relay.headSent) this.abort();
    else this.respondError(status, message, true);
  }

  /** An error of the endpoint's: counted for the frontend and for the endpoint. */
  private countError(entry: EndpointEntry, kind: Exclude<keyof HttpErrorCounts, 'badRequest'>): void {
    this.ctx.counters.errors[kind]++;
    entry.http.errors[kind]++;
  }

  private recordHead(entry: EndpointEntry, status: number): void {
    const ms = performance.now() - this.startedAt;
    this.ctx.counters.response(status);
    this.ctx.counters.latency(ms);
    entry.http.response(status);
    entry.http.latency(ms);
    if (status >= 500) this.ctx.outlierFailure(entry);
    else this.ctx.ejections.success(entry.key);
  }

  /** The response is complete: the connection goes back to the pool, the next request is read. */
  private finish(up: Upstream, upstreamEnded: boolean): void {
    this.up = undefined;
    this.seen = this.ctx.pool.tick;
    const res = this.relay.res;
    if (!this.logged) this.logExchange(res?.status ?? null);
    const reusable = !upstreamEnded && this.reqDone && res !== undefined && res.keepAlive && !up.socket.destroyed;
    if (reusable) this.ctx.pool.release(up);
    else {
      up.owner = undefined;
      up.socket.destroy();
    }
    this.relay.reset();
    if (this.closeAfter || !this.reqDone) {
      this.end();
      return;
    }
    this.phase = Phase.Idle;
    this.req = undefined;
    if (this.client.isPaused()) this.client.resume();
    if (this.pending !== undefined) this.pump();
  }

  private tunnel(up: Upstream, res: ResponseHead, rest: Buffer | undefined): void {
    this.recordHead(up.entry, 101);
    if (!this.logged) this.logExchange(101);
    this.phase = Phase.Tunnel;
    this.up = undefined;
    this.ctx.pool.detach(up);
    const head = `${res.statusLine}\r\n${res.headers}Connection: Upgrade\r\n\r\n`;
    const pending = this.pending;
    this.pending = undefined;
    // Both sides of a tunnel get the idle timeout: the server time-out is about answering a
    // request, and a quiet WebSocket is not a hung endpoint.
    spliceTunnel(this.client, up, head, rest, pending, this.ctx.clientTimeoutMs, this.ctx.clientTimeoutMs);
  }

  /** Answers with a JSON error and ends or keeps the connection. */
  private respondError(status: number, message: string, close: boolean): void {
    this.seen = this.ctx.pool.tick;
    const body = JSON.stringify({ message, status: 'error' });
    this.ctx.counters.response(status);
    this.ctx.counters.latency(performance.now() - this.startedAt);
    const keep = !close && !this.closeAfter && !this.clientEnded;
    this.client.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: ${keep ? 'keep-alive' : 'close'}\r\n\r\n${body}`,
      'latin1',
    );
    if (!this.logged) this.logExchange(status);
    if (!keep) {
      this.end();
      return;
    }
    this.phase = Phase.Idle;
    this.req = undefined;
    if (this.client.isPaused()) this.client.resume();
    if (this.pending !== undefined) this.pump();
  }

  /** A malformed request: status, then the connection ends. */
  private reject(status: number, reason: string): void {
    this.ctx.counters.errors.badRequest++;
    this.ctx.badRequest(reason);
    this.pending = undefined;
    const body = JSON.stringify({ message: reason, status: 'error' });
    const badHead = this.phase === Phase.Idle;
    if (badHead && this.ctx.accessLog !== undefined) {
      // No request began: this line covers the bad head alone.
      this.logged = false;
      this.backend = undefined;
      this.reqBytes = 0;
      this.startedAt = performance.now();
    }
    this.client.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, 'latin1');
    if (!this.logged) this.logExchange(status);
    const up = this.up;
    this.up = undefined;
    if (up !== undefined) up.socket.destroy();
    this.end();
  }

  /** The current request's access-log line (the access log is on: `logged` is only ever false then). */
  private logExchange(status: number | null): void {
    this.logged = true;
    const client = this.client;
    const written = client.bytesWritten;
    const out = written - this.outAtStart;
    this.outAtStart = written;
    (this.ctx.accessLog as NonNullable<SessionOwner['accessLog']>).write(
      accessLogLine(this.ctx.serviceName, this.ctx.port, 'http', (this.clientText ??= addressText(this.clientIp, client.remotePort)), this.backend, status, performance.now() - this.startedAt, this.reqBytes, out),
    );
  }

  private end(): void {
    this.phase = Phase.Closing;
    this.pending = undefined;
    endSocket(this.client);
    if (this.client.isPaused()) this.client.resume(); // let the peer's FIN arrive
  }

  abort(): void {
    if (!this.logged && this.phase !== Phase.Idle && this.phase !== Phase.Closing) this.logExchange(this.relay.res?.status ?? null);
    this.phase = Phase.Closing;
    this.pending = undefined;
    const up = this.up;
    this.up = undefined;
    if (up !== undefined) up.socket.destroy();
    this.client.destroy();
  }
}
