import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedFramer, framerFor } from '../../../../src/proxy/http/index.js';

/** Feeds `text` in pieces of `step` bytes; returns the body length consumed and whether it finished. */
function run(text: string, step: number): { used: number; done: boolean; error: boolean } {
  const f = new ChunkedFramer();
  const buf = Buffer.from(text, 'latin1');
  let used = 0;
  for (let i = 0; i < buf.length && !f.done; i += step) {
    const piece = buf.subarray(i, Math.min(buf.length, i + step));
    const n = f.feed(piece, 0);
    if (n < 0) return { used, done: false, error: true };
    used += n;
    if (n < piece.length) break;
  }
  return { used, done: f.done, error: false };
}

test('chunked: finds the end of the body at any split, trailer and extensions included', () => {
  const body = '5\r\nhello\r\n1a;name="v"\r\nabcdefghijklmnopqrstuvwxyz\r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n';
  for (const step of [1, 2, 3, 7, 64, 1000]) {
    assert.deepEqual(run(`${body}GET / HTTP/1.1\r\n`, step), { used: body.length, done: true, error: false }, `step ${step}`);
  }
  assert.deepEqual(run('0\r\n\r\n', 1), { used: 5, done: true, error: false });
});

test('chunked: partial input is not done', () => {
  assert.deepEqual(run('5\r\nhel', 2), { used: 6, done: false, error: false });
  assert.deepEqual(run('0\r\nX: 1\r\n', 100), { used: 9, done: false, error: false });
});

test('chunked: malformed framing is an error', () => {
  for (const bad of ['z\r\n', '\r\n', '5\nhello\r\n', '5\r\nhelloX\r\n', '5\r\nhello\rX', '-1\r\n', '0x5\r\n', '10000000000000\r\n', '5 x\r\n', '0\r\n\n', '0\r\nX\n']) {
    assert.equal(run(bad, 1).error, true, JSON.stringify(bad));
    assert.equal(run(bad, 100).error, true, JSON.stringify(bad));
  }
});

test('chunked: with `start`, counts from the offset', () => {
  const f = new ChunkedFramer();
  const buf = Buffer.from('HEAD2\r\nok\r\n0\r\n\r\nNEXT');
  assert.equal(f.feed(buf, 4), 12);
  assert.equal(f.done, true);
});

test('content-length and none framers', () => {
  const f = framerFor({ kind: 'length', length: 5 });
  assert.equal(f.feed(Buffer.from('abc'), 0), 3);
  assert.equal(f.done, false);
  assert.equal(f.feed(Buffer.from('xdeNEXT'), 1), 2);
  assert.equal(f.done, true);
  assert.equal(framerFor({ kind: 'none' }).done, true);
  const close = framerFor({ kind: 'close' });
  assert.equal(close.feed(Buffer.from('abc'), 1), 2);
  assert.equal(close.done, false);
});
