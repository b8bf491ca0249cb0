import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckCounts, outcomeName } from '../../../src/health/check-counts.js';

test('check runs are counted by type and outcome; sickly is named unhealthy', () => {
  const counts = new CheckCounts();
  counts.count('Tcp', 'healthy');
  counts.count('HttpGet', outcomeName('healthy'));
  counts.count('HttpGet', outcomeName('sickly'));
  counts.count('HttpGet', outcomeName('sickly'));
  counts.count('HttpGet', 'timeout');
  assert.deepEqual(counts.snapshot(), [
    { type: 'HttpGet', outcome: 'healthy', count: 1 },
    { type: 'HttpGet', outcome: 'wrong_answer', count: 2 },
    { type: 'HttpGet', outcome: 'timeout', count: 1 },
    { type: 'Tcp', outcome: 'healthy', count: 1 },
  ]);
});
