import PQueue from 'p-queue';
import { Emitter, ErrorCode, SidecarError, errorMessage, redactUrls, type Clock, type Event, type Logger, type TimerHandle } from '../core/index.js';
import { ServiceStatus, statusName, type CheckSpec, type Service, type StatusCode } from '../catalog/index.js';
import type { CheckOutcome, CheckResult, Checker } from './checker.js';
import { checkerFor as defaultCheckerFor, isKnownCheckType, suggestCheckType } from './checker-registry.js';
import { defaultCheckFor, type CheckPlan } from './default-check.js';
import { failureOutcome } from './local-shortage-outcome.js';
import { checkReason } from './check-reason.js';
import { ShortageEpisode } from './shortage-episode.js';
import { CheckCounts, outcomeName, type CheckCount } from './check-counts.js';
import { spreadRuns, type SpreadRuns } from './spread-runs.js';
import { renderCheckArgs } from './template.js';
import {
  CheckState,
  applyResult,
  checkStateName,
  initialThresholdState,
  serviceStatusFor,
  type CheckStateName,
  type ThresholdState,
  type Thresholds,
} from './thresholds.js';

export interface HealthMonitorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** This host's advertise IP: `{{ host }}` and the host of the default check URL. */
  readonly advertiseIp: string;
  /** Path of the default HttpGet check. Default `/version` (SIDECAR_DEFAULT_CHECK_ENDPOINT); `''` means `/`, as in Go. */
  readonly defaultCheckEndpoint?: string;
  /** Time between check rounds. Default 3000 (Go's HEALTH_INTERVAL); each check may take this minus 1 ms. */
  readonly checkIntervalMs?: number;
  /** Checks running at once. Default 32: Go ran all at once; a bound keeps a host with hundreds of containers from a burst of sockets and processes. */
  readonly concurrency?: number;
  /** Passes in a row that bring a failed check back. Default 1 (Go). */
  readonly riseCount?: number;
  /** Failures in a row that fail a check. Default 1 (Go: the first failure of any kind). */
  readonly fallCount?: number;
  /** Checker for a type name; default the built-in registry (tests inject fakes). */
  readonly checkerFor?: (type: string) => Checker;
  /** Source of the first round's jitter, in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** One check as `describe()` reports it. */
export interface CheckDescription {
  readonly id: string;
  readonly type: string;
  readonly args: string;
  /** The service status the check gives (ALIVE, UNHEALTHY, UNKNOWN). */
  readonly status: StatusCode;
  readonly state: CheckStateName;
  readonly lastError?: string;
  readonly consecutiveFailures: number;
  /** The last run's result (`healthy`, `sickly`, `unknown`); absent before the first run. */
  readonly lastResult?: CheckResult;
  /** Clock time the last result came in, ms since the epoch (0 before the first run). */
  readonly lastRunMs: number;
}

export interface StatusChange {
  readonly id: string;
  readonly status: StatusCode;
}

interface CheckEntry {
  readonly id: string;
  readonly type: string;
  readonly args: string;
  readonly checker: Checker;
  thresholds: ThresholdState;
  lastError: string | undefined;
  lastResult: CheckResult | undefined;
  lastRunMs: number;
  inflight: AbortController | undefined;
}

const TIMEOUT_OUTCOME: CheckOutcome = { result: 'unknown', error: 'Timed out!' };
/** Upper bound of the first round's jitter (ms): small, so new services turn ALIVE quickly. */
const MAX_START_JITTER_MS = 300;

/**
 * Health checks for this host's services (the Go Sidecar's `healthy.Monitor`). The watch
 * step ({@link sync}) keeps one check per discovered service ID; every `checkIntervalMs` all
 * checks run in parallel (at most `concurrency` at once), each bounded by `checkIntervalMs − 1`
 * ms; results go through the rise/fall thresholds to a service status ({@link statusOf}) that
 * the owner of the local services reads when `onDidChangeStatus` fires; it also calls
 * {@link sync} whenever discovery changes (the one feed).
 *
 * Beyond Go: a round of more than 64 checks starts them in batches over the first half of
 * the interval rather than all at once (see spreadRuns); in-memory checkers (`runNow`:
 * AlwaysSuccessful, DockerHealth) run at once, without promise, timer or queue slot; and a
 * check that could not run because this host is short of descriptors, ports or memory
 * leaves its service's status as it was (no failure counted, nothing announced) and is
 * reported once per episode.
 */
export class HealthMonitor {
  readonly onDidChangeStatus: Event<StatusChange>;

  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly checkIntervalMs: number;
  private readonly endpoint: string;
  private readonly thresholds: Thresholds;
  private readonly resolveChecker: (type: string) => Checker;
  private readonly queue: PQueue;
  /** Controllers of the runs in flight, aborted by close() (one Set, not a listener per run on a shared signal: EventTarget warns past 10 listeners). */
  private readonly running = new Set<AbortController>();
  private readonly changes = new Emitter<StatusChange>();
  private readonly checks = new Map<string, CheckEntry>();
  private readonly timers: TimerHandle[] = [];
  private readonly counts = new CheckCounts();
  private firstRoundTimer: TimerHandle | undefined;
  private round: Promise<void> | null = null;
  private spread: SpreadRuns | undefined;
  private readonly shortage: ShortageEpisode;
  /** The list the last sync() handled completely: the same (frozen) list again changes nothing. */
  private lastSynced: readonly Service[] | undefined;
  private started = false;
  private closed: Promise<void> | null = null;
  private warnedEmptyId = false;
  private resultsVersionCount = 0;

  constructor(private readonly options: HealthMonitorOptions) {
    this.log = options.logger;
    this.clock = options.clock;
    this.checkIntervalMs = positiveInt('checkIntervalMs', options.checkIntervalMs ?? 3000);
    this.endpoint = options.defaultCheckEndpoint ?? '/version';
    this.thresholds = {
      riseCount: positiveInt('riseCount', options.riseCount ?? 1),
      fallCount: positiveInt('fallCount', options.fallCount ?? 1),
    };
    this.resolveChecker = options.checkerFor ?? defaultCheckerFor;
    this.queue = new PQueue({ concurrency: positiveInt('concurrency', options.concurrency ?? 32) });
    // Over once checks ran for two intervals without a shortage: one is too close to call
    // when the same failing check comes round every interval.
    this.shortage = new ShortageEpisode(this.log, this.clock, 2 * this.checkIntervalMs);
    this.onDidChangeStatus = this.changes.event;
  }

  /** Starts the check rounds (first one after a small jitter); what to check comes from {@link sync}. */
  start(): void {
    if (this.started || this.closed !== null) return;
    this.started = true;
    const random = this.options.random ?? Math.random;
    const jitterMs = Math.floor(random() * Math.min(MAX_START_JITTER_MS, this.checkIntervalMs / 10));
    this.firstRoundTimer = this.clock.setTimeout(() => {
      this.firstRoundTimer = undefined;
      this.tick();
      this.timers.push(this.clock.setInterval(() => this.tick(), this.checkIntervalMs));
    }, jitterMs);
  }

  /** Stops the loops, aborts running checks and waits for the round to wind up. Idempotent. */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    if (this.firstRoundTimer !== undefined) this.clock.clearTimeout(this.firstRoundTimer);
    for (const timer of this.timers.splice(0)) this.clock.clearInterval(timer);
    this.spread?.cancel();
    for (const controller of this.running) controller.abort();
    const round = this.round ?? Promise.resolve();
    this.closed = round.then(() => {
      this.checks.clear();
      this.changes.dispose();
    });
    return this.closed;
  }

  /**
   * The watch step: adds a check for each new service ID (the spec from discovery, or the
   * default check when it gives none or an empty type), drops checks of IDs no longer listed.
   */
  sync(services: readonly Service[], checkFor: (svc: Service) => CheckSpec | null): void {
    if (this.closed !== null || services === this.lastSynced) return;
    this.lastSynced = undefined;
    let complete = true;
    const seen = new Set<string>();
    let emptyIds = 0;
    for (const svc of services) {
      if (svc.id === '') {
        emptyIds++;
        continue;
      }
      seen.add(svc.id);
      if (this.checks.has(svc.id)) continue;
      let spec: CheckSpec | null;
      try {
        spec = checkFor(svc);
      } catch (err) {
        this.log.error({ id: svc.id, name: svc.name, err: errorMessage(err) }, 'Discovery failed to give a health check; using the default');
        spec = null;
      }
      if (!this.addCheck(svc, spec)) complete = false;
    }
    if (emptyIds > 0 && !this.warnedEmptyId) this.log.warn({ count: emptyIds }, 'Ignoring discovered services with an empty ID');
    this.warnedEmptyId = emptyIds > 0;
    for (const [id, entry] of this.checks) {
      if (seen.has(id)) continue;
      this.checks.delete(id);
      this.resultsVersionCount++;
      entry.inflight?.abort();
      this.log.info({ id, type: entry.type }, 'Removing health check');
    }
    // Discovery hands out the same frozen list until something changes (static files);
    // with 10,000 services, going through it every 500 ms for nothing showed in profiles.
    if (complete && Object.isFrozen(services)) this.lastSynced = services;
  }

  /** Runs one round now; while a round is running, returns that round instead. */
  runOnce(): Promise<void> {
    if (this.closed !== null) return Promise.resolve();
    if (this.round !== null) return this.round;
    const remote: CheckEntry[] = [];
    for (const entry of this.checks.values()) {
      if (entry.checker.runNow !== undefined) this.runInMemory(entry);
      else remote.push(entry);
    }
    const spread = spreadRuns(remote, (entry) => this.dispatch(entry), this.checkIntervalMs / 2, this.clock);
    this.spread = spread;
    this.round = spread.done.finally(() => {
      this.round = null;
      if (this.spread === spread) this.spread = undefined;
    });
    return this.round;
  }

  /** Check runs since start by check type and outcome (for `/metrics`). */
  checkCounts(): CheckCount[] {
    return this.counts.snapshot();
  }

  /** The status the health check gives service `id`; UNKNOWN when it has no check (yet). */
  statusOf(id: string): StatusCode {
    const entry = this.checks.get(id);
    return entry === undefined ? ServiceStatus.UNKNOWN : serviceStatusFor(entry.thresholds.state);
  }

  /** Goes up when a check is added or removed or its last result or reason changes (the UI re-reads describe() then). */
  get resultsVersion(): number {
    return this.resultsVersionCount;
  }

  /**
   * Why service `id` has the status its check gives, in words, for the one log line of a
   * status change: `HttpGet http://10.0.0.5:8080/health failed: HTTP 503 from …`, `… passed`,
   * `External ./check.sh: no result yet`; undefined when it has no check.
   */
  reasonFor(id: string): string | undefined {
    const entry = this.checks.get(id);
    return entry === undefined ? undefined : checkReason(entry.type, redactUrls(entry.args), entry.thresholds, entry.lastError);
  }

  /** Every check, for the API and logs. */
  describe(): CheckDescription[] {
    return [...this.checks.values()].map((entry) => ({
      id: entry.id,
      type: entry.type,
      args: redactUrls(entry.args),
      status: serviceStatusFor(entry.thresholds.state),
      state: checkStateName(entry.thresholds.state),
      ...(entry.lastError === undefined ? {} : { lastError: entry.lastError }),
      consecutiveFailures: entry.thresholds.consecutiveFailures,
      ...(entry.lastResult === undefined ? {} : { lastResult: entry.lastResult }),
      lastRunMs: entry.lastRunMs,
    }));
  }

  private tick(): void {
    if (this.round !== null) {
      this.log.debug('Previous health check round still running; skipping this one');
      return;
    }
    void this.runOnce();
  }

  /** False when no check could be made (no checker for the type). */
  private addCheck(svc: Service, spec: CheckSpec | null): boolean {
    let plan: CheckPlan;
    if (spec === null || spec.type === '') {
      plan = defaultCheckFor(svc, this.options.advertiseIp, this.endpoint);
      this.log.info(
        { id: svc.id, name: svc.name, ...(spec === null ? {} : { args: redactUrls(spec.args) }) },
        'No check type from discovery; using the default check',
      );
    } else {
      // A discovered check starts FAILED (UNHEALTHY until it passes), as in the Go Sidecar;
      // AlwaysSuccessful cannot fail, so it starts HEALTHY instead of a 3 s UNHEALTHY blip.
      const initialState = spec.type === 'AlwaysSuccessful' ? CheckState.HEALTHY : CheckState.FAILED;
      plan = { type: spec.type, args: spec.args, initialState };
      if (!isKnownCheckType(spec.type)) {
        const suggestion = suggestCheckType(spec.type);
        this.log.warn(
          { id: svc.id, name: svc.name, type: spec.type, ...(suggestion === undefined ? {} : { didYouMean: suggestion }) },
          'Unknown health check type; running it as HttpGet (as the Go Sidecar does)',
        );
      }
    }
    const rendered = renderCheckArgs(plan.args, { service: svc, advertiseIp: this.options.advertiseIp });
    if (rendered.error !== undefined) {
      this.log.error({ id: svc.id, name: svc.name, code: rendered.error.code, err: rendered.error.message }, 'Bad check args template; using the args untemplated');
    }
    let checker: Checker;
    try {
      checker = this.resolveChecker(plan.type);
    } catch (err) {
      this.log.error({ id: svc.id, type: plan.type, err: errorMessage(err) }, 'No checker for this type; service stays UNKNOWN');
      return false;
    }
    const entry: CheckEntry = {
      id: svc.id,
      type: plan.type,
      args: rendered.args,
      checker,
      thresholds: initialThresholdState(plan.initialState),
      lastError: undefined,
      lastResult: undefined,
      lastRunMs: 0,
      inflight: undefined,
    };
    this.checks.set(svc.id, entry);
    this.resultsVersionCount++;
    this.log.info({ id: svc.id, name: svc.name, type: entry.type, args: redactUrls(entry.args) }, 'Adding health check');
    const status = serviceStatusFor(plan.initialState);
    if (status !== ServiceStatus.UNKNOWN) this.changes.fire({ id: svc.id, status });
    // Run a new check at once rather than at the next round (up to 3 s away), so a new or
    // restarted service is not reported UNHEALTHY longer than its first check takes.
    if (this.started) void this.dispatch(entry);
    return true;
  }

  /** Runs one check: in-memory checkers at once, the others through the concurrency queue. */
  private dispatch(entry: CheckEntry): Promise<void> {
    if (entry.checker.runNow === undefined) return this.queue.add(() => this.runCheck(entry));
    this.runInMemory(entry);
    return Promise.resolve();
  }

  /** An in-memory checker answers at once: no promise, timeout, abort or queue slot. */
  private runInMemory(entry: CheckEntry): void {
    if (this.closed !== null || this.checks.get(entry.id) !== entry || entry.checker.runNow === undefined) return;
    let outcome: CheckOutcome;
    try {
      outcome = entry.checker.runNow(entry.args);
    } catch (err) {
      outcome = failureOutcome(err, errorMessage(err));
    }
    this.record(entry, outcome);
  }

  /** Runs one check with its timeout; never rejects. */
  private async runCheck(entry: CheckEntry): Promise<void> {
    if (this.closed !== null || this.checks.get(entry.id) !== entry || entry.inflight !== undefined) return;
    const controller = new AbortController();
    entry.inflight = controller;
    this.running.add(controller);
    const outcome = await new Promise<CheckOutcome | null>((resolve) => {
      let done = false;
      const finish = (value: CheckOutcome | null): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        resolve(value);
      };
      // Settle before aborting: the abort listener below would otherwise report "aborted".
      const timer = this.clock.setTimeout(() => {
        finish(TIMEOUT_OUTCOME);
        controller.abort();
      }, Math.max(1, this.checkIntervalMs - 1));
      controller.signal.addEventListener('abort', () => finish(null), { once: true });
      try {
        entry.checker.run(entry.args, controller.signal).then(finish, (err: unknown) => finish(failureOutcome(err, errorMessage(err))));
      } catch (err) {
        finish(failureOutcome(err, errorMessage(err)));
      }
    });
    this.running.delete(controller);
    if (entry.inflight === controller) entry.inflight = undefined;
    // null: aborted because we are closing or the service went away.
    if (outcome === null || this.closed !== null || this.checks.get(entry.id) !== entry) return;
    this.record(entry, outcome);
  }

  private record(entry: CheckEntry, outcome: CheckOutcome): void {
    this.counts.count(entry.type, outcome.localShortage !== undefined ? 'local_shortage' : outcome === TIMEOUT_OUTCOME ? 'timeout' : outcomeName(outcome.result));
    if (outcome.localShortage !== undefined) {
      // This host could not run the check: nothing is known about the service, so its state,
      // streaks and status stay as they were (house rule 9).
      this.shortage.shortage(outcome.localShortage, entry, outcome.error);
      return;
    }
    // In-memory checks need no descriptor or port: they say nothing about the shortage.
    if (entry.checker.runNow === undefined) this.shortage.ran();
    const before = serviceStatusFor(entry.thresholds.state);
    const [resultBefore, errorBefore] = [entry.lastResult, entry.lastError];
    entry.thresholds = applyResult(entry.thresholds, outcome.result, this.thresholds);
    entry.lastResult = outcome.result;
    entry.lastRunMs = this.clock.nowMs();
    const after = serviceStatusFor(entry.thresholds.state);
    if (outcome.result === 'healthy') {
      entry.lastError = undefined;
    } else {
      // Checkers redact the URLs they quote; this catches any other checker's (house rule 9).
      entry.lastError = redactUrls(outcome.error ?? outcome.result);
      const code = outcome === TIMEOUT_OUTCOME ? ErrorCode.HEALTH_CHECK_TIMEOUT : ErrorCode.HEALTH_CHECK_FAILED;
      const fields = { id: entry.id, type: entry.type, args: redactUrls(entry.args), outcome: outcomeName(outcome.result), code, err: entry.lastError };
      // The first failure of a streak is worth a line, unless it changes the status: then the
      // agent's "Service status changed" line says it, with this reason (one line per change).
      // The rest of a streak would repeat it every round.
      if (entry.thresholds.consecutiveFailures === 1 && after === before) this.log.warn(fields, `Health check failed: ${entry.type} ${fields.args}: ${entry.lastError}`);
      else this.log.debug({ ...fields, consecutiveFailures: entry.thresholds.consecutiveFailures }, entry.thresholds.consecutiveFailures === 1 ? 'Health check failed' : 'Health check still failing');
    }
    if (entry.lastResult !== resultBefore || entry.lastError !== errorBefore) this.resultsVersionCount++;
    if (after === before) return;
    // The agent's one line per status change ("Service status changed", with this check's
    // reason) says it at info; this is the health monitor's own view, for debugging.
    this.log.debug({ id: entry.id, previous: statusName(before), status: statusName(after), err: entry.lastError }, 'Health status changed');
    this.changes.fire({ id: entry.id, status: after });
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SidecarError(ErrorCode.CONFIG_INVALID, `health monitor option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
