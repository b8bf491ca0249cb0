import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suspicionTimeoutMs } from '../../../src/membership/index.js';
import { retransmitLimit, pushPullScaleMs } from '../../../src/membership/engine/math.js';

test('suspicionTimeoutMs: mult × max(1, log10 n) × interval, scale truncated to thousandths', () => {
  assert.equal(suspicionTimeoutMs(4, 0, 1000), 4000); // n < 1 counts as 1
  assert.equal(suspicionTimeoutMs(4, 1, 1000), 4000);
  assert.equal(suspicionTimeoutMs(4, 10, 1000), 4000); // log10 10 = 1
  assert.equal(suspicionTimeoutMs(4, 100, 1000), 8000);
  assert.equal(suspicionTimeoutMs(5, 1000, 1000), 15000); // Go Sidecar at 1,000 nodes
  // log10 50 = 1.69897 → 1698 thousandths → 4 × 1698 × 1000 / 1000
  assert.equal(suspicionTimeoutMs(4, 50, 1000), 6792);
  // 3 × 1698 × 200 / 1000 = 1018.8 → whole ms
  assert.equal(suspicionTimeoutMs(3, 50, 200), 1018);
});

test('retransmitLimit: mult × ceil(log10(n + 1))', () => {
  assert.equal(retransmitLimit(4, 0), 0);
  assert.equal(retransmitLimit(4, 1), 4);
  assert.equal(retransmitLimit(4, 9), 4);
  assert.equal(retransmitLimit(4, 10), 8);
  assert.equal(retransmitLimit(4, 99), 8);
  assert.equal(retransmitLimit(4, 100), 12);
  assert.equal(retransmitLimit(4, 1000), 16);
  assert.equal(retransmitLimit(2, 5), 2);
});

test('pushPullScaleMs: unchanged up to 32 nodes, then one more interval per doubling', () => {
  assert.equal(pushPullScaleMs(20000, 1), 20000);
  assert.equal(pushPullScaleMs(20000, 32), 20000);
  assert.equal(pushPullScaleMs(20000, 33), 40000); // ceil(0.044) + 1 = 2
  assert.equal(pushPullScaleMs(20000, 64), 40000); // ceil(1) + 1
  assert.equal(pushPullScaleMs(20000, 65), 60000);
  assert.equal(pushPullScaleMs(20000, 1000), 120000); // ceil(4.97) + 1 = 6
});
