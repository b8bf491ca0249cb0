import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_PER_SECOND, parseTimestamp } from '../../../src/core/index.js';
import { GO_ZERO_TIME } from '../../../src/catalog/index.js';
import { timeAgo } from '../../../src/api/time-ago.js';

const base = parseTimestamp('2023-11-14T10:21:40Z');
const ago = (seconds: number | bigint): string => timeAgo(base - BigInt(seconds) * NS_PER_SECOND, base);

test("Go's output.TimeAgo cases", () => {
  assert.equal(ago(0), '1.0 sec ago');
  assert.equal(ago(5), '5.0 secs ago');
  assert.equal(ago(5 * 60), '5.0 mins ago');
  assert.equal(ago(5 * 3600), '5.0 hours ago');
  assert.equal(ago(36 * 3600), '1.5 days ago');
  assert.equal(ago(230 * 3600), '1.4 weeks ago');
});

test('unit boundaries: a unit is used only when the difference exceeds it', () => {
  assert.equal(ago(1), '1.0 sec ago');
  assert.equal(ago(2), '2.0 secs ago');
  assert.equal(ago(60), '60.0 secs ago');
  assert.equal(ago(61), '1.0 mins ago');
  assert.equal(ago(3600), '60.0 mins ago');
  assert.equal(ago(86_400), '24.0 hours ago');
  assert.equal(ago(604_800), '7.0 days ago');
  assert.equal(ago(604_801), '1.0 weeks ago');
});

test('future times and the zero time', () => {
  assert.equal(ago(-30), '1.0 sec ago');
  assert.equal(timeAgo(GO_ZERO_TIME, base), 'never');
  assert.match(timeAgo(0n, base), /^\d+\.\d weeks ago$/);
});

test('both times are rounded to the second, halves up, before subtracting', () => {
  const half = NS_PER_SECOND / 2n;
  assert.equal(timeAgo(base - 4n * NS_PER_SECOND - half, base), '4.0 secs ago'); // -4.5 s rounds up to -4 s
  assert.equal(timeAgo(base - 5n * NS_PER_SECOND - half, base), '5.0 secs ago');
  assert.equal(timeAgo(base - 5n * NS_PER_SECOND - half - 1n, base), '6.0 secs ago');
  assert.equal(timeAgo(base - 3n * NS_PER_SECOND, base + half), '4.0 secs ago');
});

test("one decimal from Go's float64 arithmetic: exact ties to even, others by the float's value", () => {
  // Expected values computed with Python's float64 arithmetic and '%.1f' (same rules as Go).
  assert.equal(ago(75), '1.2 mins ago'); // 1.25, an exact tie
  assert.equal(ago(105), '1.8 mins ago'); // 1.75, an exact tie
  assert.equal(ago(81), '1.4 mins ago'); // 1.35 is stored a hair above
  assert.equal(ago(87), '1.4 mins ago'); // 1.45 is stored a hair below
  assert.equal(ago(63), '1.1 mins ago'); // 1.05 is stored a hair above
  assert.equal(ago(99), '1.6 mins ago');
  assert.equal(ago(30 * 3600), '1.2 days ago'); // 1.25
  assert.equal(ago(3 * 3600 + 15 * 60), '3.2 hours ago'); // 3.25
  assert.equal(ago(3 * 3600 + 9 * 60), '3.1 hours ago'); // 3.15
  assert.equal(ago(8500), '2.4 hours ago');
  assert.equal(ago(10 * 86_400 + 12 * 3600), '1.5 weeks ago');
});
