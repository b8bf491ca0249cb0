/** Reads one whole stream message from a connection, within a deadline and size limits. */
import type { Clock } from '../core/index.js';
import type { StreamAdmission } from './inbound-stream-gate.js';
import type { StreamCursor, StreamReadResult } from './push-pull.js';
import type { StreamConnection } from './transport.js';
import type { WireCodec } from './wire-codec.js';
import { wireFail, type WireFailure } from './wire-result.js';

/** A finished read: a whole message, or why there is none. */
export type StreamMessageResult = Exclude<StreamReadResult, { readonly status: 'incomplete' }>;

export interface StreamReadLimits {
  /** Time for the whole message, in ms; then the connection is destroyed. */
  readonly timeoutMs: number;
  /** Most bytes read from the stream, in bytes (declared lengths are checked by the codec). */
  readonly maxBytes: number;
  /** An inbound stream's share of the shared buffer budget. */
  readonly admission?: StreamAdmission;
}

/**
 * Received bytes in one buffer that doubles as it fills (amortised copies), never larger than
 * twice what has arrived: a declared length is not allocated before its bytes come.
 */
class GrowingBuffer {
  private buf = new Uint8Array(0);
  length = 0;

  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.length + chunk.length, Math.min(this.buf.length * 2, 2 * (this.length + chunk.length))));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Pulls chunks until one message decodes, the stream ends, a limit is passed, or `timeoutMs`
 * passes (then the connection is destroyed). The codec is asked again only once the bytes it
 * said it needs have arrived. Never rejects: failures come back as `failed`.
 */
export async function readStreamMessage(conn: StreamConnection, codec: WireCodec, clock: Clock, limits: StreamReadLimits): Promise<StreamMessageResult> {
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    conn.destroy();
  }, limits.timeoutMs);
  const fail = (failure: WireFailure): StreamMessageResult => ({ status: 'failed', failure });
  try {
    const received = new GrowingBuffer();
    const cursor: StreamCursor = { nodeEnds: [] };
    let needBytes = 1;
    for (;;) {
      const chunk = await conn.read();
      if (chunk === null) {
        const why = timedOut ? `no complete message within ${limits.timeoutMs} ms` : 'stream closed before a complete message';
        return fail(wireFail(timedOut ? 'timeout' : 'truncated', why));
      }
      if (received.length + chunk.length > limits.maxBytes) return fail(wireFail('oversized', `stream sent more than ${limits.maxBytes} bytes`));
      if (limits.admission !== undefined && !limits.admission.take(chunk.length)) {
        return fail(wireFail('overBudget', 'inbound streams hold their whole byte budget; stream cut'));
      }
      received.append(chunk);
      if (received.length < needBytes) continue;
      const result = codec.readStream(received.view(), cursor);
      if (result.status !== 'incomplete') return result;
      needBytes = result.needBytes;
    }
  } finally {
    clock.clearTimeout(timer);
  }
}

/**
 * After a reply: waits until the peer closes its side (reading and dropping anything more it
 * sends, up to `maxBytes`), and destroys the connection when it has not within `timeoutMs`
 * or sends too much. Holds the caller's stream slot while our reply may still be buffered.
 */
export async function awaitPeerClose(conn: StreamConnection, clock: Clock, timeoutMs: number, maxBytes: number): Promise<void> {
  const timer = clock.setTimeout(() => conn.destroy(), timeoutMs);
  try {
    let bytes = 0;
    for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        conn.destroy();
        return;
      }
    }
  } finally {
    clock.clearTimeout(timer);
  }
}
