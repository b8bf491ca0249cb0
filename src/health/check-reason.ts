import { CheckState, type ThresholdState } from './thresholds.js';

/**
 * A check's verdict in words, for the agent's one log line per status change:
 * `HttpGet http://10.0.0.5:8080/health failed: HTTP 503 from …`, `… passed`,
 * `External ./check.sh: no result yet`. `args` come redacted.
 */
export function checkReason(type: string, args: string, thresholds: ThresholdState, lastError: string | undefined): string {
  const check = args === '' ? type : `${type} ${args}`;
  switch (thresholds.state) {
    case CheckState.HEALTHY:
      return `${check} passed`;
    case CheckState.SICKLY:
      return `${check} failing (${thresholds.consecutiveFailures} in a row, not yet enough to count as down): ${lastError ?? ''}`;
    case CheckState.UNKNOWN:
      return `${check}: no result yet`;
    case CheckState.FAILED: {
      if (lastError === undefined) return `${check}: not passed yet`;
      const streak = thresholds.consecutiveFailures > 1 ? ` (${thresholds.consecutiveFailures} times in a row)` : '';
      return `${check} failed${streak}: ${lastError}`;
    }
  }
}
