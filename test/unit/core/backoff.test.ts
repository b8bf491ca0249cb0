import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, FakeClock } from '../../../src/core/index.js';

test('doubles from the initial delay up to the maximum, and reset starts again', () => {
  const b = new Backoff({ initialMs: 500, maxMs: 10_000 });
  assert.deepEqual(Array.from({ length: 8 }, () => b.next()), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  b.reset();
  assert.equal(b.peekMs, 500);
  assert.equal(b.next(), 500);
  assert.equal(b.peekMs, 1000);
});

test('a factor other than 2', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 300, 900, 1000]);
});

test('jitter takes up to its fraction off each delay', () => {
  const draws = [0, 0.5, 0.999];
  const b = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => draws.shift() ?? 0 });
  assert.equal(b.next(), 1000);
  assert.equal(b.next(), 900);
  const last = b.next();
  assert.ok(last > 800 && last < 801, String(last));
});

test('retries on a fake clock happen at the back-off times', () => {
  const clock = new FakeClock();
  const b = new Backoff({ initialMs: 500, maxMs: 2000 });
  const attempts: number[] = [];
  const attempt = (): void => {
    attempts.push(clock.nowMs());
    if (attempts.length < 5) clock.setTimeout(attempt, b.next());
  };
  const t0 = clock.nowMs();
  attempt();
  for (let i = 0; i < 20; i++) clock.advance(500);
  assert.deepEqual(
    attempts.map((t) => t - t0),
    [0, 500, 1500, 3500, 5500],
  );
});
