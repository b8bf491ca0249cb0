/**
 * The result of one run of one health check, as the checker sees it:
 * - `healthy`: the service answered as it should (2xx, exit 0, connected);
 * - `sickly`: it answered, but wrongly (other HTTP status, non-zero exit);
 * - `unknown`: no answer at all (connection error, command could not start, aborted).
 * The thresholds turn these into a check state and a service status.
 */
export type CheckResult = 'healthy' | 'sickly' | 'unknown';

export interface CheckOutcome {
  readonly result: CheckResult;
  /** Why the result is not `healthy`, for logs and the API. */
  readonly error?: string;
  /**
   * Set when the check could not run because THIS host is short of something (the errno:
   * `EMFILE`, `EADDRNOTAVAIL`…, see core's LOCAL_SHORTAGE_ADVICE). The result says nothing
   * about the service: the monitor keeps its status as it was.
   */
  readonly localShortage?: string;
}

/**
 * One kind of health check (`HttpGet`, `External`…). Implementations are stateless: the same
 * instance runs every check of its kind. `run` never rejects (every failure is an outcome)
 * and, once `signal` aborts, settles promptly and releases what it opened (socket, child).
 */
export interface Checker {
  run(args: string, signal: AbortSignal): Promise<CheckOutcome>;
  /**
   * For checkers that answer from memory (no socket, process or timer): the same answer as
   * `run`, at once. The monitor then calls it directly, without promise, timeout, abort
   * controller or concurrency slot: 10,000 AlwaysSuccessful checks through the full machinery
   * cost 1.4 % of a core at idle (and a 300 ms stall every round before rounds were spread,
   * bench/catalog-scale.ts). Never throws.
   */
  runNow?(args: string): CheckOutcome;
}

/** The outcome of a run that was aborted before it finished. */
export const ABORTED_OUTCOME: CheckOutcome = { result: 'unknown', error: 'aborted' };
