import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lzwCompress, lzwDecompress } from '../../../src/membership/wire/lzw.js';
import { seededRandom } from './seeded-random.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);


// Vectors derived by hand from Go's compress/lzw (LSB, litWidth 8): Clear=256, EOF=257,
// 9-bit codes packed least significant bit first.
test('"a" is Clear(256) a(97) EOF(257) → 00 c3 04 04', () => {
  // bits: 256 → byte 0x00, bit8=1; 97<<1|1 → 0xc3; 257<<2 → 0x404 → 0x04, then 0x04.
  assert.equal(hex(lzwCompress(bytes('a'))), '00c30404');
});

test('"aaaa" is Clear a 258 a EOF (the KwKwK code) → 00 c3 08 0c 13 10', () => {
  assert.equal(hex(lzwCompress(bytes('aaaa'))), '00c3080c1310');
  const out = lzwDecompress(Uint8Array.from(Buffer.from('00c3080c1310', 'hex')), 100);
  assert.ok(out.ok);
  assert.equal(Buffer.from(out.value).toString(), 'aaaa');
});

test('empty input is Clear EOF → 00 03 02', () => {
  assert.equal(hex(lzwCompress(new Uint8Array(0))), '000302');
});

test('streams from Go before 1.17 (no leading Clear) decode too', () => {
  // a(97) EOF(257): 97 | 257<<9 = 0x20261 → 61 02 02.
  const out = lzwDecompress(Uint8Array.of(0x61, 0x02, 0x02), 100);
  assert.ok(out.ok);
  assert.equal(Buffer.from(out.value).toString(), 'a');
});

test('round trips text, runs, random bytes, and inputs that outgrow 12-bit codes', () => {
  const rng = seededRandom(42);
  const random = rng.bytes(20000);
  const text = bytes('{"ID":"deadbeef","Name":"web","Status":0}'.repeat(2000));
  const runs = new Uint8Array(100000).fill(7);
  const skewed = Uint8Array.from({ length: 50000 }, () => rng.int(5) + 65);
  for (const input of [random, text, runs, skewed, bytes('TOBEORNOTTOBEORTOBEORNOT')]) {
    const out = lzwDecompress(lzwCompress(input), 1 << 20);
    assert.ok(out.ok);
    assert.equal(Buffer.compare(Buffer.from(out.value), Buffer.from(input)), 0);
  }
  assert.ok(lzwCompress(text).length < text.length / 10);
  assert.ok(lzwCompress(random).length > random.length, 'random data does not compress');
});

test('bad streams fail without throwing: truncated, invalid code, too large', () => {
  const good = lzwCompress(bytes('hello hello hello hello'));
  const cut = lzwDecompress(good.subarray(0, good.length - 2), 1000);
  assert.equal(!cut.ok && cut.reason, 'badCompression');
  // Clear then code 300 with nothing defined yet.
  const invalid = lzwDecompress(Uint8Array.of(0x00, 0x59, 0x02, 0x02), 1000);
  assert.equal(!invalid.ok && invalid.reason, 'badCompression');
  const big = lzwDecompress(lzwCompress(new Uint8Array(5000)), 4999);
  assert.equal(!big.ok && big.reason, 'oversized');
  assert.equal(lzwDecompress(new Uint8Array(0), 10).ok, false);
});
