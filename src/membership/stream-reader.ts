/** Reads one whole stream message from a connection, with a deadline. */
import type { Clock } from '../core/index.js';
import type { StreamReadResult } from './push-pull.js';
import type { StreamConnection } from './transport.js';
import type { WireCodec } from './wire-codec.js';
import { wireFail } from './wire-result.js';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A finished read: a whole message, or why there is none. */
export type StreamMessageResult = Exclude<StreamReadResult, { readonly status: 'incomplete' }>;

/**
 * Pulls chunks until one message decodes, the stream ends, or `timeoutMs` passes (then the
 * connection is destroyed). Never rejects: failures come back as `failed`.
 */
export async function readStreamMessage(conn: StreamConnection, codec: WireCodec, clock: Clock, timeoutMs: number): Promise<StreamMessageResult> {
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    conn.destroy();
  }, timeoutMs);
  try {
    let buf: Uint8Array = new Uint8Array(0);
    for (;;) {
      const chunk = await conn.read();
      if (chunk === null) {
        const why = timedOut ? `no complete message within ${timeoutMs} ms` : 'stream closed before a complete message';
        return { status: 'failed', failure: wireFail(timedOut ? 'timeout' : 'truncated', why) };
      }
      buf = concat(buf, chunk);
      const result = codec.readStream(buf);
      if (result.status !== 'incomplete') return result;
    }
  } finally {
    clock.clearTimeout(timer);
  }
}
