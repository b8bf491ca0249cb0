import type { BodyFraming } from './http-head.js';

/**
 * Tracks where a message body ends in a byte stream without copying it: a Content-Length
 * countdown, or a chunked-encoding state machine that reads chunk sizes and the trailer and
 * skips chunk data. The bytes themselves are forwarded as they are.
 */
export interface BodyFramer {
  /**
   * Consumes body bytes of `buf` from `start`; returns how many belong to the body (the rest
   * starts the next message), or -1 when the chunked framing is malformed. `done` tells
   * whether the body is complete.
   */
  feed(buf: Buffer, start: number): number;
  readonly done: boolean;
}

/** Largest chunk-size line or trailer accepted. 64 KiB, like the head limit. */
const MAX_META_BYTES = 64 * 1024;

class LengthFramer implements BodyFramer {
  constructor(private remaining: number) {}
  get done(): boolean {
    return this.remaining === 0;
  }
  feed(buf: Buffer, start: number): number {
    const n = Math.min(this.remaining, buf.length - start);
    this.remaining -= n;
    return n;
  }
}

class DoneFramer implements BodyFramer {
  readonly done = true;
  feed(): number {
    return 0;
  }
}

/** Never done: the body ends when the connection does. */
class UntilCloseFramer implements BodyFramer {
  readonly done = false;
  feed(buf: Buffer, start: number): number {
    return buf.length - start;
  }
}

const enum S {
  Size,
  SizeWs,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

/** RFC 9112 §7.1 chunked coding: size [ext] CRLF data CRLF … 0 [ext] CRLF *(trailer CRLF) CRLF. */
export class ChunkedFramer implements BodyFramer {
  private state = S.Size;
  private size = 0;
  private digits = 0;
  private meta = 0;

  get done(): boolean {
    return this.state === S.Done;
  }

  feed(buf: Buffer, start: number): number {
    let i = start;
    const end = buf.length;
    while (i < end) {
      const s = this.state;
      if (s === S.Data) {
        const n = Math.min(this.size, end - i);
        this.size -= n;
        i += n;
        if (this.size === 0) this.state = S.DataCr;
        continue;
      }
      if (s === S.Done) break;
      const c = buf[i] as number;
      i++;
      if (++this.meta > MAX_META_BYTES) return -1;
      switch (s) {
        case S.Size: {
          const h = HEX[c] as number;
          if (h >= 0) {
            if (++this.digits > 13) return -1; // > 2^52: no real chunk is that big
            this.size = this.size * 16 + h;
          } else if (this.digits === 0) return -1;
          else if (c === 0x0d) this.state = S.SizeLf;
          else if (c === 0x3b) this.state = S.Ext;
          else if (c === 0x20 || c === 0x09) this.state = S.SizeWs;
          else return -1;
          break;
        }
        case S.SizeWs:
          if (c === 0x3b) this.state = S.Ext;
          else if (c === 0x0d) this.state = S.SizeLf;
          else if (c !== 0x20 && c !== 0x09) return -1;
          break;
        case S.Ext:
          if (c === 0x0d) this.state = S.SizeLf;
          else if (c === 0x0a) return -1;
          break;
        case S.SizeLf:
          if (c !== 0x0a) return -1;
          this.meta = 0;
          this.digits = 0;
          this.state = this.size === 0 ? S.TrailerStart : S.Data;
          break;
        case S.DataCr:
          if (c !== 0x0d) return -1;
          this.state = S.DataLf;
          break;
        case S.DataLf:
          if (c !== 0x0a) return -1;
          this.meta = 0;
          this.state = S.Size;
          break;
        case S.TrailerStart:
          if (c === 0x0d) this.state = S.EndLf;
          else if (c === 0x0a) return -1;
          else this.state = S.Trailer;
          break;
        case S.Trailer:
          if (c === 0x0d) this.state = S.TrailerLf;
          else if (c === 0x0a) return -1;
          break;
        case S.TrailerLf:
          if (c !== 0x0a) return -1;
          this.state = S.TrailerStart;
          break;
        case S.EndLf:
          if (c !== 0x0a) return -1;
          this.state = S.Done;
          return i - start;
        default:
          return -1;
      }
    }
    return i - start;
  }
}

export const DONE_FRAMER: BodyFramer = new DoneFramer();

export function framerFor(framing: BodyFraming): BodyFramer {
  switch (framing.kind) {
    case 'none':
      return DONE_FRAMER;
    case 'length':
      return new LengthFramer(framing.length);
    case 'chunked':
      return new ChunkedFramer();
    case 'close':
      return new UntilCloseFramer();
  }
}
