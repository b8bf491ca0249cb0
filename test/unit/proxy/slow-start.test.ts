import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { RoundRobin, SlowStartPicker, type Endpoint } from '../../../src/proxy/index.js';

function ep(key: string): Endpoint {
  return { key, hostname: key, serviceId: key, ip: '127.0.0.1', port: 1, since: 0n };
}

function share(picker: SlowStartPicker, key: string, n = 4000): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (picker.next()?.key === key) hits++;
  return hits / n;
}

test('a joining endpoint ramps from no share to its full share over the window', () => {
  const clock = new FakeClock();
  let seed = 1;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const picker = new SlowStartPicker(new RoundRobin([ep('a'), ep('b')]), clock, 10_000, random);
  picker.join(['b']);
  assert.ok(share(picker, 'b') < 0.02, 'almost nothing at first');
  clock.advance(5000);
  const half = share(picker, 'b');
  assert.ok(half > 0.15 && half < 0.4, `about a quarter at half window, got ${half}`);
  clock.advance(5000);
  assert.equal(share(picker, 'b'), 0.5, 'full round-robin share after the window');
  assert.deepEqual(picker.warmingKeys(), []);
});

test('slow start never refuses every endpoint, and skips still apply', () => {
  const clock = new FakeClock();
  const picker = new SlowStartPicker(new RoundRobin([ep('a')]), clock, 10_000, () => 0.99);
  picker.join(['a']);
  assert.equal(picker.next()?.key, 'a');
  assert.equal(picker.next(() => true), undefined);
});

test('a window of 0 turns it off; leaving endpoints are forgotten', () => {
  const clock = new FakeClock();
  const off = new SlowStartPicker(new RoundRobin([ep('a'), ep('b')]), clock, 0);
  off.join(['b']);
  assert.deepEqual(off.warmingKeys(), []);
  const on = new SlowStartPicker(new RoundRobin([ep('a'), ep('b')]), clock, 10_000);
  on.join(['b']);
  on.retain(new Set(['a']));
  assert.deepEqual(on.warmingKeys(), []);
});

test('an endpoint is no longer reported as warming once its window has passed, even with no request', () => {
  const clock = new FakeClock();
  const picker = new SlowStartPicker(new RoundRobin([ep('a'), ep('b')]), clock, 10_000);
  picker.join(['b']);
  clock.advance(9999);
  assert.deepEqual(picker.warmingKeys(), ['b']);
  clock.advance(1);
  assert.deepEqual(picker.warmingKeys(), []);
});
