/**
 * Hostile sizes against the wire codec: decompression bombs and declared lengths far past
 * every limit are refused, quickly and without allocating what they ask for. The hostile
 * bytes come from test/helpers/gossip-forge.ts, not from the agent's encoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goSidecarDialect } from '../../../src/membership/index.js';
import { DEFAULT_STREAM_LIMITS, readStream } from '../../../src/membership/wire/push-pull.js';
import { MAX_LZW_RATIO, lzwOutputCap, lzwDecompress } from '../../../src/membership/wire/lzw.js';
import { MAX_PACKET_DECOMPRESSED_BYTES, decodePacket } from '../../../src/membership/wire/codec.js';
import { MsgpackOut, T, alive, compound, compress, concatBytes, lzwEncode, lzwZeros, msgpack } from '../../helpers/gossip-forge.js';

const SIDECAR = goSidecarDialect('default');
const GIB4 = 0xffff_ffff;

/** Runs `fn` and returns its result with the time it took and the heap it grew by (bounded checks, generous). */
function measure<T>(fn: () => T): { result: T; ms: number; heapGrowthBytes: number } {
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  const heapGrowthBytes = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;
  return { result, ms, heapGrowthBytes };
}

test('the test encoder speaks Go LZW: the agent decodes its output (cross-check of both)', () => {
  const text = Buffer.from('TOBEORNOTTOBEORTOBEORNOT'.repeat(300));
  const back = lzwDecompress(lzwEncode(text), 1 << 20);
  assert.ok(back.ok);
  assert.deepEqual(Buffer.from(back.value), text);
  const zeros = lzwDecompress(lzwZeros(3_000_000), 4_000_000);
  assert.ok(zeros.ok);
  assert.equal(zeros.value.length, 3_000_000);
  assert.ok(zeros.value.every((b) => b === 0));
});

test('an LZW bomb far past the cap stops at the cap', (t) => {
  const bomb = lzwZeros(64 * 1024 * 1024);
  const { result, ms, heapGrowthBytes } = measure(() => lzwDecompress(bomb, 1024 * 1024));
  t.diagnostic(`bomb of ${bomb.length} bytes (inflates to 64 MiB), cap 1 MiB: refused in ${ms.toFixed(1)} ms, heap +${(heapGrowthBytes / 1048576).toFixed(1)} MiB`);
  assert.ok(!result.ok && result.reason === 'oversized');
  assert.ok(ms < 500, `took ${ms} ms`);
  assert.ok(heapGrowthBytes < 16 * 1024 * 1024, `heap grew ${heapGrowthBytes} bytes`);
});

test('a 64 KB datagram of compress parts, each a 1 MiB bomb, inflates at most the packet budget once', (t) => {
  const part = compress(lzwZeros(1024 * 1024));
  const parts: Uint8Array[] = [];
  for (let size = 2; parts.length < 255 && size + part.length + 2 <= 65_000; size += part.length + 2) parts.push(part);
  const datagram = compound(parts);
  const { result, ms, heapGrowthBytes } = measure(() => decodePacket(datagram, { dialect: SIDECAR }));
  t.diagnostic(`${parts.length} bomb parts in ${datagram.length} bytes: decoded in ${ms.toFixed(1)} ms, heap +${(heapGrowthBytes / 1048576).toFixed(2)} MiB`);
  assert.ok(heapGrowthBytes < 16 * 1024 * 1024, `heap grew ${heapGrowthBytes} bytes`);
  assert.ok(result.ok);
  assert.equal(result.value.messages.length, 0);
  assert.ok(result.value.dropped.some((d) => d.reason === 'oversized'));
  // Refused from the first over-budget part on: one failure, not one per part.
  assert.ok(result.value.dropped.length <= 2, JSON.stringify(result.value.dropped));
  assert.ok(ms < 200, `took ${ms} ms`);
});

test('a legitimate compressed packet up to the budget still decodes', () => {
  const messages = Array.from({ length: 40 }, (_, i) => alive(`host-${i}`, [10, 0, 0, i], 7946, i + 1, 'default'));
  const inner = compound(messages);
  assert.ok(inner.length < MAX_PACKET_DECOMPRESSED_BYTES);
  const r = decodePacket(compress(lzwEncode(inner)), { dialect: SIDECAR });
  assert.ok(r.ok);
  assert.equal(r.value.messages.length, 40);
  assert.deepEqual(r.value.dropped, []);
});

test('nesting: compress in compress, compound in compound and deep wrappers are refused', () => {
  const msg = alive('host-x', [10, 0, 0, 1], 7946, 1, 'default');
  const doubly = compress(lzwEncode(compress(lzwEncode(msg))));
  const r1 = decodePacket(doubly, { dialect: SIDECAR });
  assert.ok(r1.ok && r1.value.messages.length === 0 && r1.value.dropped[0]?.detail.includes('compress inside a compress'));
  const nested = compound([compound([msg])]);
  const r2 = decodePacket(nested, { dialect: SIDECAR });
  assert.ok(r2.ok && r2.value.messages.length === 0 && r2.value.dropped.length === 1);
  const deep = compress(lzwEncode(compound([compress(lzwEncode(msg))])));
  const r3 = decodePacket(deep, { dialect: SIDECAR });
  assert.ok(r3.ok && r3.value.messages.length === 0 && r3.value.dropped.length === 1);
  // The legitimate shape, compress → compound → message, is fine.
  const ok = decodePacket(compress(lzwEncode(compound([msg, msg]))), { dialect: SIDECAR });
  assert.ok(ok.ok && ok.value.messages.length === 2);
});

test('a compound announcing 10,000 parts (in every way the format allows) yields at most 255 messages', (t) => {
  const tiny = Uint8Array.of(T.user, 0x41);
  // The count is one byte: 10,000 wraps to 16; the lengths table then lies.
  const lying = concatBytes(Uint8Array.of(T.compound, 10_000 & 0xff), new Uint8Array(2 * 16).fill(0xff), tiny);
  const r1 = decodePacket(lying, { dialect: SIDECAR });
  assert.ok(r1.ok && r1.value.messages.length === 0);
  // 255 compounds of 40 user messages each, inside one compress: 10,200 messages asked for.
  const inner = compound(Array.from({ length: 40 }, () => tiny));
  const many = compound(Array.from({ length: 255 }, () => inner));
  const { result, ms } = measure(() => decodePacket(compress(lzwEncode(many)), { dialect: SIDECAR }));
  t.diagnostic(`255 × 40 nested parts: ${result.ok ? result.value.messages.length : 'failed'} messages, ${ms.toFixed(1)} ms`);
  assert.ok(result.ok && result.value.messages.length <= 255);
  // Flat: 255 parts is the most one compound holds, and all decode.
  const flat = decodePacket(compound(Array.from({ length: 255 }, () => tiny)), { dialect: SIDECAR });
  assert.ok(flat.ok && flat.value.messages.length === 255);
});

test('msgpack headers declaring 4 GiB (str, bin, array, map) are refused in packets without allocating', (t) => {
  for (const kind of ['str', 'bin', 'array', 'map'] as const) {
    const body = new MsgpackOut().header('map', 1).value('Node').header(kind, GIB4).finish();
    const packet = concatBytes(Uint8Array.of(T.alive), body);
    const { result, ms, heapGrowthBytes } = measure(() => decodePacket(packet, { dialect: SIDECAR }));
    t.diagnostic(`${kind} declaring 4 GiB in a packet: ${ms.toFixed(2)} ms, heap +${(heapGrowthBytes / 1048576).toFixed(1)} MiB`);
    assert.ok(result.ok && result.value.messages.length === 0 && result.value.dropped.length === 1);
    assert.ok(heapGrowthBytes < 64 * 1024 * 1024);
  }
});

test('streams: declared lengths past the limit fail at once, from the header alone', () => {
  const limit = DEFAULT_STREAM_LIMITS.maxStateBytes;
  const cases: Record<string, Uint8Array> = {
    // [10][uint32 length]: an encrypted stream of 4 GiB (refused before any key is tried).
    encrypted: Uint8Array.of(T.encrypt, 0xff, 0xff, 0xff, 0xff),
    // [9] {Algo: 0, Buf: bin32 of 4 GiB}
    compressBin: concatBytes(Uint8Array.of(T.compress), new MsgpackOut().header('map', 2).value('Algo').value(0).value('Buf').header('bin', GIB4).finish()),
    // [6] push/pull header declaring 4 GiB of user state
    userState: concatBytes(Uint8Array.of(T.pushPull), msgpack({ ClusterName: 'default', Join: false, Nodes: 0, UserStateLen: GIB4 })),
    // [6] header then a node record whose Name is a str32 of 4 GiB
    nodeName: concatBytes(Uint8Array.of(T.pushPull), msgpack({ ClusterName: 'default', Join: false, Nodes: 1, UserStateLen: 0 }), new MsgpackOut().header('map', 1).value('Name').header('str', GIB4).finish()),
    // [6] header whose Nodes is an array32 of 4 G entries
    array: concatBytes(Uint8Array.of(T.pushPull), new MsgpackOut().header('map', 1).value('Nodes').header('array', GIB4).finish()),
    // [8] {UserMsgLen: 4 GiB}
    user: concatBytes(Uint8Array.of(T.user), msgpack({ UserMsgLen: GIB4 })),
    // 20 MiB, just past the 16 MiB limit
    encrypted20MiB: Uint8Array.of(T.encrypt, 0x01, 0x40, 0x00, 0x00),
  };
  const keyring = { keys: [new Uint8Array(32)], primaryKey: new Uint8Array(32) } as never;
  for (const [name, bytes] of Object.entries(cases)) {
    const r = readStream(bytes, { dialect: SIDECAR, ...(name.startsWith('encrypted') ? { keyring } : {}) });
    assert.equal(r.status, 'failed', `${name}: ${JSON.stringify(r)}`);
    assert.ok(r.status === 'failed' && ['oversized', 'malformed'].includes(r.failure.reason), `${name}: ${r.status === 'failed' ? r.failure.detail : ''}`);
  }
  // Under the limit, a stream still waits for its bytes and says how many it needs.
  const small = readStream(Uint8Array.of(T.encrypt, 0, 0, 0x10, 0), { dialect: SIDECAR, keyring });
  assert.deepEqual(small, { status: 'incomplete', needBytes: 5 + 0x1000 });
  assert.ok(limit >= 16 * 1024 * 1024);
});

test('a stream bomb (compressed push/pull inflating far past the limit) is refused at the limit', (t) => {
  const bomb = compress(lzwZeros(256 * 1024 * 1024));
  const { result, ms } = measure(() => readStream(bomb, { dialect: SIDECAR, limits: { ...DEFAULT_STREAM_LIMITS, maxDecompressedBytes: 4 * 1024 * 1024 } }));
  t.diagnostic(`${bomb.length}-byte stream inflating to 256 MiB, cap 4 MiB: ${ms.toFixed(1)} ms`);
  assert.ok(result.status === 'failed' && result.failure.reason === 'oversized');
});

test('inflation also follows the input size: a small bomb buys at most MAX_LZW_RATIO × its size', (t) => {
  // 32 MiB of zeros is about 27 KB of LZW: under the stream cap, but over 32× its size.
  const lzw = lzwZeros(32 * 1024 * 1024);
  const stream = compress(lzw);
  const { result, ms } = measure(() => readStream(stream, { dialect: SIDECAR }));
  t.diagnostic(`${stream.length}-byte stream asking for 32 MiB: refused at ${lzwOutputCap(lzw.length, Infinity)} bytes in ${ms.toFixed(1)} ms`);
  assert.ok(result.status === 'failed' && result.failure.reason === 'oversized');
  assert.equal(MAX_LZW_RATIO, 32);
  // A datagram of a few hundred bytes asking for 60,000 is held to 32× its size (13 KiB), not the 64 KiB budget.
  const small = compress(lzwZeros(60_000));
  const r = decodePacket(small, { dialect: SIDECAR });
  assert.ok(small.length * MAX_LZW_RATIO < 60_000);
  assert.ok(r.ok && r.value.dropped[0]?.reason === 'oversized' && r.value.dropped[0].detail.includes(`above ${small.length * MAX_LZW_RATIO} bytes`), JSON.stringify(r));
});
