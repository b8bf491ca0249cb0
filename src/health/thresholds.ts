import { ServiceStatus, type StatusCode } from '../catalog/index.js';
import type { CheckResult } from './checker.js';

/** A check's own state, with the Go Sidecar's numbering (never on the wire). */
export const CheckState = {
  HEALTHY: 0,
  SICKLY: 1,
  FAILED: 2,
  UNKNOWN: 3,
} as const;
export type CheckState = (typeof CheckState)[keyof typeof CheckState];

export type CheckStateName = keyof typeof CheckState;

export function checkStateName(state: CheckState): CheckStateName {
  switch (state) {
    case CheckState.HEALTHY:
      return 'HEALTHY';
    case CheckState.SICKLY:
      return 'SICKLY';
    case CheckState.FAILED:
      return 'FAILED';
    case CheckState.UNKNOWN:
      return 'UNKNOWN';
  }
}

/** HEALTHY and SICKLY → ALIVE, UNKNOWN → UNKNOWN, FAILED → UNHEALTHY (as in Go). */
export function serviceStatusFor(state: CheckState): StatusCode {
  switch (state) {
    case CheckState.HEALTHY:
    case CheckState.SICKLY:
      return ServiceStatus.ALIVE;
    case CheckState.UNKNOWN:
      return ServiceStatus.UNKNOWN;
    case CheckState.FAILED:
      return ServiceStatus.UNHEALTHY;
  }
}

export interface Thresholds {
  /** Consecutive passes that bring a FAILED (or UNKNOWN) check back to HEALTHY; ≥ 1. */
  readonly riseCount: number;
  /** Consecutive non-passing results that make a check FAILED; ≥ 1. */
  readonly fallCount: number;
}

/**
 * The Go Sidecar's effective thresholds: discovery-made checks have MaxCount 0, so the first
 * non-healthy result of any kind fails the check and the next pass heals it.
 */
export const GO_THRESHOLDS: Thresholds = { riseCount: 1, fallCount: 1 };

/** One check's threshold state. Immutable: {@link applyResult} returns a new one. */
export interface ThresholdState {
  readonly state: CheckState;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
}

export function initialThresholdState(state: CheckState): ThresholdState {
  return { state, consecutiveFailures: 0, consecutiveSuccesses: 0 };
}

/**
 * Folds one result into a check's state.
 * - A pass resets the failure streak; the check becomes HEALTHY at once if it was up
 *   (HEALTHY/SICKLY), or after `riseCount` passes in a row if it was down (FAILED/UNKNOWN).
 * - A non-pass (`sickly` or `unknown`, timeouts included) resets the pass streak; after
 *   `fallCount` in a row the check is FAILED. Before that an up check is SICKLY (still routed,
 *   as Go maps SICKLY to ALIVE) and a down check stays as it was.
 * With {@link GO_THRESHOLDS} this is exactly Go's `UpdateStatus` with MaxCount 0.
 */
export function applyResult(prev: ThresholdState, result: CheckResult, thresholds: Thresholds): ThresholdState {
  const isUp = prev.state === CheckState.HEALTHY || prev.state === CheckState.SICKLY;
  if (result === 'healthy') {
    const consecutiveSuccesses = Math.min(prev.consecutiveSuccesses + 1, thresholds.riseCount);
    const state = isUp || consecutiveSuccesses >= thresholds.riseCount ? CheckState.HEALTHY : prev.state;
    // Unchanged (a healthy check passing again, the common case): no new object.
    if (state === prev.state && prev.consecutiveFailures === 0 && consecutiveSuccesses === prev.consecutiveSuccesses) return prev;
    return { state, consecutiveFailures: 0, consecutiveSuccesses };
  }
  const consecutiveFailures = prev.consecutiveFailures + 1;
  let state: CheckState;
  if (consecutiveFailures >= thresholds.fallCount) state = CheckState.FAILED;
  else state = isUp ? CheckState.SICKLY : prev.state;
  return { state, consecutiveFailures, consecutiveSuccesses: 0 };
}
