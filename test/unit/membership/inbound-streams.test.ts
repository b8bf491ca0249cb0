import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { InboundStreamGate } from '../../../src/membership/transports/inbound-stream-gate.js';
import { readStreamMessage } from '../../../src/membership/transports/stream-reader.js';
import { goSidecarDialect } from '../../../src/membership/index.js';
import { WireCodec } from '../../../src/membership/wire/wire-codec.js';
import { type PushNodeState } from '../../../src/membership/wire/push-pull.js';
import { type StreamConnection } from '../../../src/membership/transports/transport.js';
import { T, concatBytes, msgpack } from '../../helpers/gossip-forge.js';

const SIDECAR = goSidecarDialect('default');

/** A stream whose chunks are all there from the start. */
function preloaded(chunks: Uint8Array[]): StreamConnection & { destroyed: boolean } {
  const queue = [...chunks];
  const conn = {
    remote: { host: '10.0.0.9', port: 40000 },
    destroyed: false,
    write: () => undefined,
    end: () => undefined,
    destroy: () => {
      conn.destroyed = true;
      queue.length = 0;
    },
    read: () => Promise.resolve(queue.shift() ?? null),
  };
  return conn;
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Counts how often the codec is asked to parse. */
function countingCodec(options: { compress: boolean }): { codec: WireCodec; calls: () => number } {
  const codec = new WireCodec({ dialect: SIDECAR, keyring: null, compress: options.compress });
  let calls = 0;
  const read = codec.readStream.bind(codec);
  codec.readStream = (buf, cursor) => {
    calls++;
    return read(buf, cursor);
  };
  return { codec, calls: () => calls };
}

function nodes(n: number): PushNodeState[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `host-${i}`,
    addr: Uint8Array.of(10, 0, i >> 8, i & 0xff),
    port: 7946,
    meta: new TextEncoder().encode('{"ClusterName":"default","State":"Running"}'),
    incarnation: i + 1,
    state: 0,
    vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
  }));
}

test('the gate admits up to the total and per-address limits, and release is idempotent', () => {
  const gate = new InboundStreamGate({ maxStreams: 3, maxStreamsPerPeer: 2, maxBufferedBytes: 100 });
  const a1 = gate.admit('10.0.0.1');
  const a2 = gate.admit('10.0.0.1');
  assert.equal(gate.admit('10.0.0.1'), 'streamsPerPeer');
  const b1 = gate.admit('10.0.0.2');
  assert.equal(gate.admit('10.0.0.3'), 'streamsTotal');
  assert.ok(typeof a1 !== 'string' && typeof a2 !== 'string' && typeof b1 !== 'string');
  assert.ok(a1.take(60));
  assert.ok(!b1.take(50), 'the byte budget is shared');
  assert.ok(b1.take(40));
  a1.release();
  a1.release();
  assert.equal(gate.openStreams, 2);
  assert.equal(gate.heldBytes, 40);
  assert.notEqual(typeof gate.admit('10.0.0.1'), 'string');
});

test('a compressed push/pull arriving in 1,000 pieces is parsed a handful of times, not once per piece', async () => {
  const { codec, calls } = countingCodec({ compress: true });
  const bytes = codec.encodeStream({ type: 'pushPull', join: false, nodes: nodes(500), userState: new Uint8Array(20_000).fill(0x41) });
  const r = await readStreamMessage(preloaded(split(bytes, Math.ceil(bytes.length / 1000))), codec, new FakeClock(), { timeoutMs: 1000, maxBytes: 1 << 20 });
  assert.equal(r.status, 'done');
  assert.ok(r.status === 'done' && r.message.type === 'pushPull' && r.message.nodes.length === 500);
  assert.ok(calls() <= 5, `parsed ${calls()} times`);
});

test('a plain push/pull of 5,000 records in small pieces is scanned once (cursor), so it stays fast', async (t) => {
  const { codec, calls } = countingCodec({ compress: false });
  const bytes = codec.encodeStream({ type: 'pushPull', join: false, nodes: nodes(5000), userState: new Uint8Array(0) });
  const start = performance.now();
  const r = await readStreamMessage(preloaded(split(bytes, 512)), codec, new FakeClock(), { timeoutMs: 1000, maxBytes: 16 << 20 });
  const ms = performance.now() - start;
  t.diagnostic(`${bytes.length} bytes in 512-byte pieces: ${calls()} parses, ${ms.toFixed(0)} ms`);
  assert.ok(r.status === 'done' && r.message.type === 'pushPull' && r.message.nodes.length === 5000);
});

test('a stream is cut when it would pass the shared byte budget or its own size limit', async () => {
  const codec = new WireCodec({ dialect: SIDECAR, keyring: null });
  // A plain push/pull declaring 4 MiB of user state, then sending it.
  const header = concatBytes(Uint8Array.of(T.pushPull), msgpack({ ClusterName: 'default', Join: false, Nodes: 0, UserStateLen: 4 << 20 }));
  const body = split(new Uint8Array(4 << 20), 65536);
  const gate = new InboundStreamGate({ maxStreams: 4, maxStreamsPerPeer: 4, maxBufferedBytes: 1 << 20 });
  const admission = gate.admit('10.0.0.9');
  assert.ok(typeof admission !== 'string');
  const cut = await readStreamMessage(preloaded([header, ...body]), codec, new FakeClock(), { timeoutMs: 1000, maxBytes: 16 << 20, admission });
  assert.ok(cut.status === 'failed' && cut.failure.reason === 'overBudget');
  admission.release();
  assert.equal(gate.heldBytes, 0);
  const over = await readStreamMessage(preloaded([header, ...body]), codec, new FakeClock(), { timeoutMs: 1000, maxBytes: 2 << 20 });
  assert.ok(over.status === 'failed' && over.failure.reason === 'oversized');
});

test('a stream that does not finish within its deadline is destroyed (slow loris)', async () => {
  const clock = new FakeClock();
  const codec = new WireCodec({ dialect: SIDECAR, keyring: null });
  let release: ((chunk: Uint8Array | null) => void) | undefined;
  const conn = preloaded([]);
  conn.read = () => new Promise((resolve) => (release = resolve));
  conn.destroy = () => {
    conn.destroyed = true;
    release?.(null);
  };
  const pending = readStreamMessage(conn, codec, clock, { timeoutMs: 5000, maxBytes: 1 << 20 });
  clock.advance(5000);
  const r = await pending;
  assert.ok(r.status === 'failed' && r.failure.reason === 'timeout');
  assert.ok(conn.destroyed);
});
