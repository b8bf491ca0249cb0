import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLineSplitter } from '../../../../src/discovery/docker/index.js';
import { recordedEventsText } from './fixtures.js';

function split(chunks: readonly (Uint8Array | string)[]): { docs: unknown[]; bad: string[] } {
  const docs: unknown[] = [];
  const bad: string[] = [];
  const s = new JsonLineSplitter((d) => docs.push(d), (l) => bad.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return { docs, bad };
}

test('the recorded event stream, cut into chunks of every size, gives the same 24 events', () => {
  const bytes = Buffer.from(recordedEventsText(), 'utf8');
  const whole = split([bytes]).docs;
  assert.equal(whole.length, 24);
  for (const size of [1, 2, 7, 100, 333, 4096]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    assert.deepEqual(split(chunks).docs, whole, `chunks of ${size} bytes`);
  }
});

test('a multi-byte character cut between chunks survives', () => {
  const bytes = Buffer.from('{"name":"café ☕"}\n', 'utf8');
  const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte ☕
  assert.deepEqual(split([bytes.subarray(0, cut), bytes.subarray(cut)]).docs, [{ name: 'café ☕' }]);
});

test('several documents in one chunk, blank lines, a last line without newline, a bad line skipped', () => {
  const { docs, bad } = split(['{"a":1}\n\n{"b":2}\nnot json\n{"c"', ':3}']);
  assert.deepEqual(docs, [{ a: 1 }, { b: 2 }, { c: 3 }]);
  assert.deepEqual(bad, ['not json']);
});

test('an endless line is dropped instead of growing the buffer', () => {
  const docs: unknown[] = [];
  const bad: string[] = [];
  const s = new JsonLineSplitter((d) => docs.push(d), (l) => bad.push(l), 100);
  s.push('x'.repeat(150));
  s.push('\n{"ok":true}\n');
  assert.equal(bad.length, 1);
  assert.deepEqual(docs, [{ ok: true }]);
});
