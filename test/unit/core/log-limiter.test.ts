import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, KeyedLogLimiter, LogLimiter } from '../../../src/core/index.js';

test('one line per interval: the first at once, then the held-back count rides on the next', () => {
  const clock = new FakeClock();
  const limiter = new LogLimiter(clock, 60_000);
  assert.equal(limiter.take(), 0);
  assert.equal(limiter.take(), undefined);
  assert.equal(limiter.take(), undefined);
  clock.advance(59_999);
  assert.equal(limiter.take(), undefined);
  clock.advance(1);
  assert.equal(limiter.take(), 3, 'three held back');
  assert.equal(limiter.take(), undefined);
});

test('N lines per window: the first N of each window, then the count of the rest', () => {
  const clock = new FakeClock();
  const limiter = new LogLimiter(clock, 10_000, 3);
  assert.deepEqual([limiter.take(), limiter.take(), limiter.take(), limiter.take(), limiter.take()], [0, 0, 0, undefined, undefined]);
  clock.advance(10_000);
  assert.equal(limiter.take(), 2);
  assert.equal(limiter.take(), 0);
});

test('keyed: one noisy key does not silence another, and the keys kept are bounded', () => {
  const clock = new FakeClock();
  const limiter = new KeyedLogLimiter(clock, 60_000, 2);
  assert.equal(limiter.take('a'), 0);
  assert.equal(limiter.take('a'), undefined);
  assert.equal(limiter.take('b'), 0);
  assert.equal(limiter.take('c'), 0, 'a third key pushes out the oldest');
  assert.equal(limiter.take('a'), 0, "'a' was forgotten, so it logs again");
});
