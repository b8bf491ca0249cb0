import type { CheckResult } from './checker.js';

/**
 * How a check run ended, in the one vocabulary of logs and metrics: `healthy`;
 * `wrong_answer` (it answered, but not as it should: another HTTP status, a non-zero exit;
 * the Go Sidecar's "sickly"); `no_answer` (connection refused, the command did not start: Go's
 * "unknown"); `timeout` (the run outlived the check interval); `local_shortage` (this host
 * could not run it: no fd or port; the status was kept).
 */
export type CheckOutcomeName = 'healthy' | 'wrong_answer' | 'no_answer' | 'timeout' | 'local_shortage';

export function outcomeName(result: CheckResult): CheckOutcomeName {
  return result === 'sickly' ? 'wrong_answer' : result === 'unknown' ? 'no_answer' : 'healthy';
}

/** One line of {@link CheckCounts.snapshot}. */
export interface CheckCount {
  readonly type: string;
  readonly outcome: CheckOutcomeName;
  readonly count: number;
}

/**
 * Check runs by check type and outcome since start (always on: one map lookup per run; the
 * types are the few checker names, so the map stays small). Feeds `/metrics`.
 */
export class CheckCounts {
  private readonly byType = new Map<string, Map<CheckOutcomeName, number>>();

  count(type: string, outcome: CheckOutcomeName): void {
    let counts = this.byType.get(type);
    if (counts === undefined) {
      counts = new Map();
      this.byType.set(type, counts);
    }
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }

  snapshot(): CheckCount[] {
    const out: CheckCount[] = [];
    for (const [type, counts] of [...this.byType].sort(([a], [b]) => a.localeCompare(b))) {
      for (const [outcome, count] of counts) out.push({ type, outcome, count });
    }
    return out;
  }
}
