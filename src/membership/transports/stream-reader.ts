/** Reads one whole stream message from a connection, within a deadline and size limits. */
import type { Clock } from '../../core/index.js';
import type { StreamAdmission } from './inbound-stream-gate.js';
import type { StreamCursor, StreamReadResult } from '../wire/push-pull.js';
import type { StreamConnection } from './transport.js';
import type { WireCodec } from '../wire/wire-codec.js';
import { wireFail, type WireFailure } from '../wire/wire-result.js';

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
 * Received bytes: chunks are kept as they came until the codec's `needBytes` have arrived, then
 * moved into one buffer that doubles as it fills (amortised copies) but never past what the
 * message is known to need. A message whose length is declared up front (encrypted or
 * compressed) is thus copied once, and a declared length is never allocated before its bytes
 * have come.
 */
class ReceivedBytes {
  private buf = new Uint8Array(0);
  private joined = 0;
  private readonly pending: Uint8Array[] = [];
  length = 0;

  push(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.length += chunk.length;
  }

  /** All bytes so far in one view (moves the pending chunks into the buffer). */
  view(needBytes: number): Uint8Array {
    if (this.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.length, Math.min(this.buf.length * 2, needBytes)));
      grown.set(this.buf.subarray(0, this.joined));
      this.buf = grown;
    }
    for (const chunk of this.pending.splice(0)) {
      this.buf.set(chunk, this.joined);
      this.joined += chunk.length;
    }
    return this.buf.subarray(0, this.joined);
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
    const received = new ReceivedBytes();
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
      received.push(chunk);
      if (received.length < needBytes) continue;
      const result = codec.readStream(received.view(Math.min(needBytes, limits.maxBytes)), cursor);
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
