import type { CheckOutcome, Checker } from './checker.js';

const HEALTHY: CheckOutcome = { result: 'healthy' };

/** `AlwaysSuccessful`: for services that cannot be checked; always healthy, ignores its args. */
export class AlwaysSuccessfulChecker implements Checker {
  run(_args: string, _signal: AbortSignal): Promise<CheckOutcome> {
    return Promise.resolve(HEALTHY);
  }

  runNow(_args: string): CheckOutcome {
    return HEALTHY;
  }
}
