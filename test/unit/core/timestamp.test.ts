import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatTimestamp,
  parseTimestamp,
  formatGoTimeString,
  msToTimestamp,
  TimestampSource,
  FakeClock,
  hasCode,
  ErrorCode,
} from '../../../src/core/index.js';
import { GO_ZERO_TIME } from '../../../src/catalog/index.js';

test('formats RFC3339Nano with trailing zeros trimmed, like Go', () => {
  const base = parseTimestamp('2023-11-14T10:21:33Z');
  assert.equal(formatTimestamp(base), '2023-11-14T10:21:33Z');
  assert.equal(formatTimestamp(base + 500_000_000n), '2023-11-14T10:21:33.5Z');
  assert.equal(formatTimestamp(base + 123_456_789n), '2023-11-14T10:21:33.123456789Z');
  assert.equal(formatTimestamp(base + 50n), '2023-11-14T10:21:33.00000005Z');
  assert.equal(formatTimestamp(0n), '1970-01-01T00:00:00Z');
  assert.equal(formatTimestamp(GO_ZERO_TIME), '0001-01-01T00:00:00Z');
  assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999999Z');
});

test('parses offsets and fractions to the nanosecond', () => {
  assert.equal(parseTimestamp('2023-11-14T11:21:33.1+01:00'), parseTimestamp('2023-11-14T10:21:33.1Z'));
  assert.equal(parseTimestamp('2023-11-14T10:21:33.000000001Z') - parseTimestamp('2023-11-14T10:21:33Z'), 1n);
  assert.equal(parseTimestamp('0001-01-01T00:00:00Z'), GO_ZERO_TIME);
});

test('refuses what is not RFC 3339, with a coded error', () => {
  for (const bad of ['', 'yesterday', '2023-11-14 10:21:33Z', '2023-13-01T00:00:00Z', '2023-02-30T00:00:00Z', '2023-11-14T10:21:33.1234567890Z']) {
    assert.throws(() => parseTimestamp(bad), (err) => hasCode(err, ErrorCode.CATALOG_BAD_TIMESTAMP), bad);
  }
});

test('Go time.String format for cookies', () => {
  assert.equal(formatGoTimeString(parseTimestamp('2023-01-23T11:48:33.1Z')), '2023-01-23 11:48:33.1 +0000 UTC');
});

test('TimestampSource is strictly increasing within one millisecond', () => {
  const clock = new FakeClock(1_700_000_000_000);
  const stamps = new TimestampSource(clock);
  const a = stamps.now();
  const b = stamps.now();
  assert.equal(a, msToTimestamp(1_700_000_000_000));
  assert.equal(b, a + 1n);
  clock.advance(1);
  assert.equal(stamps.now(), msToTimestamp(1_700_000_000_001));
});
