import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';

test('timers fire in time order, ties in scheduling order, and time stops at each one', () => {
  const clock = new FakeClock(1000);
  const seen: string[] = [];
  clock.setTimeout(() => seen.push(`b@${clock.nowMs()}`), 20);
  clock.setTimeout(() => seen.push(`a@${clock.nowMs()}`), 10);
  clock.setTimeout(() => seen.push(`c@${clock.nowMs()}`), 20);
  clock.advance(15);
  assert.deepEqual(seen, ['a@1010']);
  assert.equal(clock.nowMs(), 1015);
  clock.advance(100);
  assert.deepEqual(seen, ['a@1010', 'b@1020', 'c@1020']);
  assert.equal(clock.nowMs(), 1115);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(clock.firedTimers, 3);
});

test('an interval repeats, a timer scheduled while advancing fires in the same advance, clear works inside a callback', () => {
  const clock = new FakeClock(0);
  const seen: number[] = [];
  const interval = clock.setInterval(() => {
    seen.push(clock.nowMs());
    if (seen.length === 3) clock.clearInterval(interval);
  }, 10);
  let chained = -1;
  clock.setTimeout(() => clock.setTimeout(() => (chained = clock.nowMs()), 5), 1);
  clock.advance(100);
  assert.deepEqual(seen, [10, 20, 30]);
  assert.equal(chained, 6);
  assert.equal(clock.pendingTimers, 0);
});

test('a cleared timer never fires; clearing twice or after firing is harmless', () => {
  const clock = new FakeClock(0);
  let fired = 0;
  const t = clock.setTimeout(() => fired++, 5);
  clock.clearTimeout(t);
  clock.clearTimeout(t);
  assert.equal(clock.pendingTimers, 0);
  const u = clock.setTimeout(() => fired++, 5);
  clock.advance(10);
  clock.clearTimeout(u);
  assert.equal(fired, 1);
});

test('fireNext fires one due timer and reports a yielding one; advanceTo never moves time back', () => {
  const clock = new FakeClock(0);
  clock.setTimeout(() => undefined, 10);
  clock.setTimeoutYielding(() => undefined, 20);
  assert.equal(clock.nextDueMs, 10);
  assert.equal(clock.fireNext(5), undefined);
  assert.equal(clock.fireNext(10)?.yieldAfter, false);
  assert.equal(clock.nowMs(), 10);
  assert.equal(clock.fireNext(100)?.yieldAfter, true);
  assert.equal(clock.nowMs(), 20);
  clock.advanceTo(5);
  assert.equal(clock.nowMs(), 20);
  clock.advanceTo(50);
  assert.equal(clock.nowMs(), 50);
});
