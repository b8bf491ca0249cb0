import type { Socket } from 'node:net';
import { framerFor, DONE_FRAMER, type BodyFramer } from './body-framer.js';
import { MAX_HEAD_BYTES, parseResponseHead, type RequestHead, type ResponseHead } from './http-head.js';
import type { Upstream } from './upstream-pool.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** A response body part up to this size goes out in one write with its head (copied); larger ones follow the head. 16 KiB. */
const MERGE_BODY_BYTES = 16 * 1024;

/** What a relay needs from the client session it answers for. */
export interface RelayOwner {
  readonly client: Socket;
  /** A final response head arrived (booked by the owner); true when the client connection ends after it. */
  onResponseHead(up: Upstream, res: ResponseHead): boolean;
  /** The response is complete; `upstreamEnded` when the upstream's FIN ended it. */
  onResponseDone(up: Upstream, upstreamEnded: boolean): void;
  /** The upstream answered something that is not HTTP, or not to this request. */
  onBadResponse(up: Upstream, message: string): void;
  /** The response body's chunked framing is malformed (the head went out already). */
  onMalformedBody(up: Upstream): void;
  /** A 101 to an upgrade: the connection becomes a tunnel (`rest`: bytes after the head). */
  onUpgraded(up: Upstream, res: ResponseHead, rest: Buffer | undefined): void;
  /** Response bytes went to the client. */
  onProgress(): void;
}

/**
 * The response half of one exchange: reads the head (relaying interim 1xx ones), rewrites it
 * only when it must (a head that loses nothing goes out as received, with its body, in one
 * write) and forwards the body as framed, without copying it.
 */
export class ResponseRelay {
  /** The final head, once read. */
  res: ResponseHead | undefined = undefined;
  /** Some of the response went to the client: an error can no longer be answered. */
  headSent = false;
  /** Some response byte arrived (a stale keep-alive connection sends none). */
  anyByte = false;
  private partial: Buffer | undefined = undefined;
  private framer: BodyFramer = DONE_FRAMER;

  constructor(private readonly owner: RelayOwner) {}

  /** Ready for the next exchange. */
  reset(): void {
    this.res = undefined;
    this.partial = undefined;
    this.headSent = false;
    this.anyByte = false;
    this.framer = DONE_FRAMER;
  }

  /** Bytes from the upstream answering `req`. `chunk` may be a reused read buffer. */
  read(up: Upstream, chunk: Buffer, req: RequestHead): void {
    this.anyByte = true;
    if (this.res !== undefined) {
      this.forwardBody(up, chunk, 0);
      return;
    }
    let buf = this.partial === undefined ? chunk : Buffer.concat([this.partial, chunk]);
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0 || end > MAX_HEAD_BYTES) {
        if (end > MAX_HEAD_BYTES || buf.length > MAX_HEAD_BYTES + 3) this.owner.onBadResponse(up, 'response head larger than 64 KiB');
        else this.partial = Buffer.from(buf); // a copy: `chunk` may be a reused read buffer
        return;
      }
      const res = parseResponseHead(buf.toString('latin1', 0, end), req.method);
      if (typeof res === 'string') {
        this.owner.onBadResponse(up, `bad response: ${res}`);
        return;
      }
      const rest = end + 4 === buf.length ? undefined : buf.subarray(end + 4);
      this.partial = undefined;
      if (res.status === 101) {
        if (req.upgrade) this.owner.onUpgraded(up, res, rest);
        else this.owner.onBadResponse(up, '101 to a request without Upgrade');
        return;
      }
      if (res.status >= 200) {
        this.start(up, res, req, buf, end + 4);
        return;
      }
      // Interim (100 Continue, 103 Early Hints): relayed to 1.1 clients, then the final one follows.
      if (req.minor === 1) this.owner.client.write(`${res.statusLine}\r\n${res.headers}\r\n`, 'latin1');
      if (rest === undefined) return;
      buf = rest;
    }
  }

  /** A final head ending at `bodyStart` in `buf`: out to the client with the body bytes after it. */
  private start(up: Upstream, res: ResponseHead, req: RequestHead, buf: Buffer, bodyStart: number): void {
    this.res = res;
    this.framer = framerFor(res.body);
    const closeAfter = this.owner.onResponseHead(up, res);
    this.headSent = true;
    if (res.verbatim && !closeAfter && (req.minor === 1 || res.saysKeepAlive)) {
      this.forwardBody(up, buf, bodyStart, 0);
      return;
    }
    const client = this.owner.client;
    const connection = closeAfter ? 'Connection: close\r\n' : req.minor === 0 ? 'Connection: keep-alive\r\n' : '';
    const head = `${res.statusLine}\r\n${res.headers}${connection}\r\n`;
    const bodyBytes = buf.length - bodyStart;
    if (bodyBytes === 0 || this.framer.done) {
      client.write(head, 'latin1');
      if (this.framer.done) {
        if (bodyBytes > 0) up.socket.destroy(); // bytes after a complete response: out of sync
        this.owner.onResponseDone(up, false);
      }
    } else if (bodyBytes <= MERGE_BODY_BYTES) {
      this.headWithBody(up, head, buf.subarray(bodyStart));
    } else {
      client.cork();
      client.write(head, 'latin1');
      this.forwardBody(up, buf, bodyStart);
      client.uncork();
    }
  }

  /** A rewritten head and the body bytes that came with it, as one write (one syscall, no writev). */
  private headWithBody(up: Upstream, head: string, rest: Buffer): void {
    const n = this.framer.feed(rest, 0);
    if (n < 0) {
      this.owner.onMalformedBody(up);
      return;
    }
    const out = Buffer.allocUnsafe(head.length + n);
    out.write(head, 0, 'latin1');
    rest.copy(out, head.length, 0, n);
    if (!this.owner.client.write(out)) up.socket.pause();
    if (this.framer.done) {
      if (n < rest.length) up.socket.destroy();
      this.owner.onResponseDone(up, false);
    }
  }

  /**
   * Forwards the body bytes of `buf` from `from`, with whatever came before them in `buf`
   * from `start` (a head forwarded as received), in one write.
   */
  private forwardBody(up: Upstream, buf: Buffer, from: number, start = from): void {
    const n = this.framer.feed(buf, from);
    if (n < 0) {
      this.owner.onMalformedBody(up);
      return;
    }
    this.owner.onProgress();
    const stop = from + n;
    if (stop > start && !this.owner.client.write(start === 0 && stop === buf.length ? buf : buf.subarray(start, stop))) up.socket.pause();
    if (this.framer.done) {
      if (stop < buf.length) up.socket.destroy();
      this.owner.onResponseDone(up, false);
    }
  }

  /** The upstream's FIN: the end of a read-until-close body, else premature. */
  endedByUpstream(up: Upstream): void {
    if (this.res !== undefined && this.res.body.kind === 'close') this.owner.onResponseDone(up, true);
    else up.socket.destroy(); // premature: handled as a close
  }
}
