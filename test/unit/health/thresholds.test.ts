import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceStatus } from '../../../src/catalog/index.js';
import {
  CheckState,
  GO_THRESHOLDS,
  applyResult,
  initialThresholdState,
  serviceStatusFor,
  type CheckResult,
  type ThresholdState,
  type Thresholds,
} from '../../../src/health/index.js';

function run(start: ThresholdState, results: readonly CheckResult[], thresholds: Thresholds): ThresholdState[] {
  const states: ThresholdState[] = [];
  let state = start;
  for (const result of results) {
    state = applyResult(state, result, thresholds);
    states.push(state);
  }
  return states;
}

test('check states map to service statuses like Go (SICKLY is still ALIVE)', () => {
  assert.equal(serviceStatusFor(CheckState.HEALTHY), ServiceStatus.ALIVE);
  assert.equal(serviceStatusFor(CheckState.SICKLY), ServiceStatus.ALIVE);
  assert.equal(serviceStatusFor(CheckState.UNKNOWN), ServiceStatus.UNKNOWN);
  assert.equal(serviceStatusFor(CheckState.FAILED), ServiceStatus.UNHEALTHY);
});

test('Go default: the first non-healthy result of any kind fails the check, one pass heals it', () => {
  const states = run(initialThresholdState(CheckState.FAILED), ['healthy', 'sickly', 'healthy', 'unknown', 'unknown', 'healthy'], GO_THRESHOLDS);
  assert.deepEqual(states.map((s) => s.state), [
    CheckState.HEALTHY,
    CheckState.FAILED,
    CheckState.HEALTHY,
    CheckState.FAILED,
    CheckState.FAILED,
    CheckState.HEALTHY,
  ]);
  assert.deepEqual(states.map((s) => s.consecutiveFailures), [0, 1, 0, 1, 2, 0]);
});

test('a check that starts HEALTHY (default AlwaysSuccessful) stays so on passes', () => {
  const [first] = run(initialThresholdState(CheckState.HEALTHY), ['healthy'], GO_THRESHOLDS);
  assert.equal(first?.state, CheckState.HEALTHY);
});

test('fall: an up check turns SICKLY (still ALIVE) until fallCount failures in a row', () => {
  const thresholds = { riseCount: 1, fallCount: 3 };
  const states = run(initialThresholdState(CheckState.HEALTHY), ['unknown', 'sickly', 'healthy', 'sickly', 'unknown', 'sickly'], thresholds);
  assert.deepEqual(states.map((s) => s.state), [
    CheckState.SICKLY,
    CheckState.SICKLY,
    CheckState.HEALTHY,
    CheckState.SICKLY,
    CheckState.SICKLY,
    CheckState.FAILED,
  ]);
  assert.deepEqual(states.map((s) => serviceStatusFor(s.state)).slice(0, 5), Array(5).fill(ServiceStatus.ALIVE));
});

test('rise: a failed check needs riseCount passes in a row; a failure restarts the count', () => {
  const thresholds = { riseCount: 3, fallCount: 1 };
  const states = run(initialThresholdState(CheckState.FAILED), ['healthy', 'healthy', 'sickly', 'healthy', 'healthy', 'healthy'], thresholds);
  assert.deepEqual(states.map((s) => s.state), [
    CheckState.FAILED,
    CheckState.FAILED,
    CheckState.FAILED,
    CheckState.FAILED,
    CheckState.FAILED,
    CheckState.HEALTHY,
  ]);
});

test('rise does not delay a SICKLY check (it never went down)', () => {
  const thresholds = { riseCount: 3, fallCount: 2 };
  const states = run(initialThresholdState(CheckState.HEALTHY), ['sickly', 'healthy'], thresholds);
  assert.deepEqual(states.map((s) => s.state), [CheckState.SICKLY, CheckState.HEALTHY]);
});

test('applyResult does not mutate its input', () => {
  const start = initialThresholdState(CheckState.FAILED);
  applyResult(start, 'healthy', GO_THRESHOLDS);
  assert.deepEqual(start, { state: CheckState.FAILED, consecutiveFailures: 0, consecutiveSuccesses: 0 });
});
