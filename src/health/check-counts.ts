import type { CheckResult } from './checker.js';

/**
 * How a check run ended, as metrics name it: the checker's result (`sickly` is `unhealthy`
 * here, the word operators use), a `timeout` (the run outlived the check interval), or
 * `local_shortage` (this host could not run it: no fd or port; the status was kept).
 */
export type CheckOutcomeName = 'healthy' | 'unhealthy' | 'unknown' | 'timeout' | 'local_shortage';

export function outcomeName(result: CheckResult): CheckOutcomeName {
  return result === 'sickly' ? 'unhealthy' : result;
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
