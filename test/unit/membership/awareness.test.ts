import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Awareness } from '../../../src/membership/engine/awareness.js';

test('score is clamped to 0..max − 1 and scales timeouts by score + 1', () => {
  const a = new Awareness(8, 500);
  assert.equal(a.healthScore, 0);
  assert.equal(a.scaleTimeoutMs(500), 500);
  a.applyDelta(-1);
  assert.equal(a.healthScore, 0);
  a.applyDelta(3);
  assert.equal(a.healthScore, 3);
  assert.equal(a.scaleTimeoutMs(500), 2000);
  a.applyDelta(100);
  assert.equal(a.healthScore, 7);
  assert.equal(a.scaleTimeoutMs(1000), 8000);
  a.applyDelta(-2);
  assert.equal(a.healthScore, 5);
});

test('changes are reported once per actual change', () => {
  const a = new Awareness(3, 500);
  const seen: number[] = [];
  a.onDidChangeScore((s) => seen.push(s));
  a.applyDelta(1);
  a.applyDelta(5);
  a.applyDelta(1); // already at max 2
  a.applyDelta(-10);
  a.applyDelta(-1); // already 0
  assert.deepEqual(seen, [1, 2, 0]);
});

test('event-loop stalls longer than the probe timeout raise the score, one per probe timeout', () => {
  const a = new Awareness(8, 500);
  assert.equal(a.noteEventLoopDelayMs(20), 0);
  assert.equal(a.noteEventLoopDelayMs(500), 0);
  assert.equal(a.healthScore, 0);
  assert.equal(a.noteEventLoopDelayMs(1200), 2);
  assert.equal(a.healthScore, 2);
  // a 2 s stall stretches the next probe timeout to at least the stall
  const b = new Awareness(8, 500);
  b.noteEventLoopDelayMs(2000);
  assert.ok(b.scaleTimeoutMs(500) >= 2000);
  // clamped, and nonsense is ignored
  assert.equal(b.noteEventLoopDelayMs(60_000), 3);
  assert.equal(b.healthScore, 7);
  assert.equal(b.noteEventLoopDelayMs(Number.NaN), 0);
});
