// The driver thread of bench/worker-spread.ts: the echo backend the proxy workers forward to,
// and the clients. It runs in its own thread so that neither shows up in the main thread's CPU
// time, which is what scenario 4 measures.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { REQUEST_BYTES, type BatchResult, type ClientBatch, type FromDriver } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('driver.ts runs as a worker thread');
const post = (msg: FromDriver): void => port.postMessage(msg);
/** A client that waits longer than this for a reply counts as an error (default 10 s: far above any stall the bench makes). */
const CLIENT_TIMEOUT_MS = 10_000;
const REQUEST = Buffer.alloc(REQUEST_BYTES, 'x');

const backend = createServer((s: Socket) => {
  s.setNoDelay(true);
  s.on('error', () => s.destroy());
  s.pipe(s);
});
backend.listen({ port: 0, host: '127.0.0.1', backlog: 511 }, () => post({ type: 'ready', backendPort: (backend.address() as AddressInfo).port }));

/** One client connection: `requests` requests one after another; resolves with the time to the first reply (ms). */
function oneClient(target: number, requests: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstReplyMs = -1;
    let received = 0;
    let sent = 1;
    const socket = connect({ port: target, host: '127.0.0.1', noDelay: true });
    socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy(new Error(`no reply within ${CLIENT_TIMEOUT_MS} ms`)));
    socket.write(REQUEST);
    socket.on('data', (chunk: Buffer) => {
      const before = Math.floor(received / REQUEST_BYTES);
      received += chunk.length;
      const replies = Math.floor(received / REQUEST_BYTES);
      if (before === 0 && replies > 0) firstReplyMs = performance.now() - t0;
      if (replies < sent) return;
      if (sent < requests) {
        sent++;
        socket.write(REQUEST);
      } else {
        socket.end();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => (firstReplyMs >= 0 && received >= requests * REQUEST_BYTES ? resolve(firstReplyMs) : reject(new Error('closed before all replies'))));
  });
}

async function runBatch(batch: ClientBatch): Promise<BatchResult> {
  const firstReplyMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const one = async (): Promise<void> => {
    try {
      firstReplyMs.push(await oneClient(batch.port, batch.requests));
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  };
  const t0 = performance.now();
  if (batch.spacingMs > 0) {
    const all: Promise<void>[] = [];
    for (let i = 0; i < batch.connections; i++) {
      const wait = t0 + i * batch.spacingMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      all.push(one());
    }
    await Promise.all(all);
  } else {
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < batch.connections) {
        started++;
        await one();
      }
    };
    await Promise.all(Array.from({ length: Math.min(batch.concurrency, batch.connections) }, lane));
  }
  return { type: 'done', id: batch.id, firstReplyMs, elapsedMs: performance.now() - t0, errors, firstError };
}

port.on('message', (batch: ClientBatch) => {
  void runBatch(batch).then(post);
});
