import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { Suspicion, suspicionTimeoutAfterMs } from '../../../src/membership/engine/suspicion.js';

const MIN = 5000;
const MAX = 30000;

function make(k: number, clock: FakeClock): { s: Suspicion; fired: number[] } {
  const fired: number[] = [];
  const s = new Suspicion({ from: 'accuser', k, minMs: MIN, maxMs: MAX, clock, onTimeout: (n) => fired.push(n) });
  return { s, fired };
}

/** Time from start until the timer fires with `n` confirmations given at start. */
function firesAfter(n: number, k = 3): number {
  const clock = new FakeClock(0);
  const { s, fired } = make(k, clock);
  s.start();
  for (let i = 0; i < n; i++) assert.equal(s.confirm(`peer${i}`), true);
  let t = 0;
  while (fired.length === 0) {
    clock.advance(1);
    t += 1;
  }
  assert.deepEqual(fired, [n]);
  return t;
}

test('timeout formula: max − log(n+1)/log(k+1) × (max − min), floored to ms, at least min', () => {
  assert.equal(suspicionTimeoutAfterMs(0, 3, MIN, MAX), 30000);
  assert.equal(suspicionTimeoutAfterMs(1, 3, MIN, MAX), 17500); // log 2 / log 4 = 1/2
  assert.equal(suspicionTimeoutAfterMs(2, 3, MIN, MAX), 10187); // log 3 / log 4 = 0.79248…
  assert.equal(suspicionTimeoutAfterMs(3, 3, MIN, MAX), 5000);
  assert.equal(suspicionTimeoutAfterMs(0, 0, MIN, MAX), 5000);
});

test('fires after max with no confirmations and shrinks with each of k confirmations', () => {
  assert.equal(firesAfter(0), 30000);
  assert.equal(firesAfter(1), 17500);
  assert.equal(firesAfter(2), 10187);
  assert.equal(firesAfter(3), 5000);
});

test('confirmations count the time already elapsed; an overdue one fires at once', () => {
  const clock = new FakeClock(0);
  const { s, fired } = make(3, clock);
  s.start();
  clock.advance(4000);
  assert.equal(s.confirm('a'), true); // total now 17500
  clock.advance(13499);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [1]);

  const c2 = new FakeClock(0);
  const late = make(3, c2);
  late.s.start();
  c2.advance(12000);
  late.s.confirm('a'); // 17500 total, 5500 left
  late.s.confirm('b'); // 10187 total < 12000 elapsed
  assert.deepEqual(late.fired, []);
  c2.advance(0);
  assert.deepEqual(late.fired, [2]);
});

test('with k = 0 the timer uses min and ignores confirmations', () => {
  const clock = new FakeClock(0);
  const { s, fired } = make(0, clock);
  s.start();
  assert.equal(s.confirm('a'), false);
  clock.advance(4999);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, [0]);
});

test('the accuser, repeated confirmers and confirmations beyond k do not count', () => {
  const clock = new FakeClock(0);
  const { s } = make(2, clock);
  s.start();
  assert.equal(s.confirm('accuser'), false);
  assert.equal(s.confirm('a'), true);
  assert.equal(s.confirm('a'), false);
  assert.equal(s.confirm('b'), true);
  assert.equal(s.confirm('c'), false);
  assert.equal(s.confirmationCount, 2);
  assert.equal(s.currentTimeoutMs, MIN);
});

test('fires exactly once and leaves no timer behind', () => {
  const clock = new FakeClock(0);
  const { s, fired } = make(3, clock);
  s.start();
  s.start(); // no second timer
  clock.advance(100_000);
  assert.deepEqual(fired, [0]);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(s.isRunning, false);
  s.confirm('late');
  clock.advance(100_000);
  assert.deepEqual(fired, [0]);
});

test('cancel stops it for good, idempotently', () => {
  const clock = new FakeClock(0);
  const { s, fired } = make(3, clock);
  s.start();
  clock.advance(1000);
  s.cancel();
  s.cancel();
  assert.equal(clock.pendingTimers, 0);
  s.confirm('a');
  clock.advance(100_000);
  assert.deepEqual(fired, []);
});
