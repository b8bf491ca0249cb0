import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { OutlierDetector } from '../../../src/proxy/index.js';

test('five consecutive failures eject for 10 s, doubling up to 30 s (not Envoy\'s 5 min)', () => {
  const clock = new FakeClock();
  const d = new OutlierDetector(clock);
  for (let i = 0; i < 4; i++) assert.equal(d.failure('a'), false);
  d.success('a');
  for (let i = 0; i < 4; i++) assert.equal(d.failure('a'), false);
  assert.equal(d.isEjected('a'), false, 'a success resets the count');
  assert.equal(d.failure('a'), true);
  assert.equal(d.isEjected('a'), true);
  assert.equal(d.failure('a'), false, 'failures while ejected do not count');
  clock.advance(9_999);
  assert.equal(d.isEjected('a'), true);
  clock.advance(1);
  assert.equal(d.isEjected('a'), false);
  const periods: number[] = [];
  for (let n = 0; n < 4; n++) {
    for (let i = 0; i < 4; i++) d.failure('a');
    assert.equal(d.failure('a'), true);
    const s = d.state('a');
    assert.ok(s);
    periods.push(s.ejectedUntilMs - clock.nowMs());
    clock.advance(s.ejectedUntilMs - clock.nowMs());
  }
  assert.deepEqual(periods, [20_000, 30_000, 30_000, 30_000]);
  assert.equal(d.state('a')?.ejections, 5);
  assert.equal(d.isEjected('b'), false);
});

test('forgive() ends an ejection at once and forgets its history (the health check passed)', () => {
  const clock = new FakeClock();
  const d = new OutlierDetector(clock);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) d.failure('a');
    assert.equal(d.failure('a'), true);
    clock.advance(1000);
    assert.equal(d.isEjected('a'), true);
    d.forgive('a');
    assert.equal(d.isEjected('a'), false, 'back in rotation at once');
    assert.equal(d.state('a'), undefined);
  }
  // A fourth outage after being forgiven starts at the base period again, not 2^3 × base.
  for (let i = 0; i < 5; i++) d.failure('a');
  assert.equal(d.state('a')?.ejectedUntilMs, clock.nowMs() + 10_000);
  assert.equal(d.state('a')?.ejections, 1);
  d.forgive('never-seen'); // harmless
});

test('a long healthy stretch forgets past ejections', () => {
  const clock = new FakeClock();
  const d = new OutlierDetector(clock, { consecutiveFailures: 2, baseEjectionMs: 1000, maxEjectionMs: 4000 });
  d.failure('a');
  assert.equal(d.failure('a'), true);
  clock.advance(1000 + 4001);
  d.success('a');
  assert.equal(d.state('a'), undefined);
  d.failure('a');
  d.failure('a');
  assert.equal(d.state('a')?.ejectedUntilMs, clock.nowMs() + 1000);
});
