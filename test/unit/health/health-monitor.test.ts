import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, silentLogger, type Logger } from '../../../src/core/index.js';
import { ServiceStatus, type Service } from '../../../src/catalog/index.js';
import type { CheckSpec } from '../../../src/catalog/index.js';
import { HealthMonitor, type CheckOutcome, type Checker, type HealthMonitorOptions, type StatusChange } from '../../../src/health/index.js';
import { makeService } from '../../helpers/catalog.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';

/**
 * A checker the test drives: each run waits until the test settles it (`resolveAll`), or
 * answers at once with `auto`. It honours abort, unless `ignoreAbort` is set.
 */
class FakeChecker implements Checker {
  auto: CheckOutcome | null = { result: 'healthy' };
  ignoreAbort = false;
  readonly calls: string[] = [];
  readonly signals: AbortSignal[] = [];
  inflight = 0;
  maxInflight = 0;
  private waiting: Array<(outcome: CheckOutcome) => void> = [];

  run(args: string, signal: AbortSignal): Promise<CheckOutcome> {
    this.calls.push(args);
    this.signals.push(signal);
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    const done = (outcome: CheckOutcome): CheckOutcome => {
      this.inflight--;
      return outcome;
    };
    if (this.auto !== null) return Promise.resolve(done(this.auto));
    return new Promise((resolve) => {
      const settle = (outcome: CheckOutcome): void => resolve(done(outcome));
      this.waiting.push(settle);
      if (!this.ignoreAbort) signal.addEventListener('abort', () => settle({ result: 'unknown', error: 'aborted' }), { once: true });
    });
  }

  resolveAll(outcome: CheckOutcome): void {
    for (const settle of this.waiting.splice(0)) settle(outcome);
  }
}

interface Fixture {
  readonly clock: FakeClock;
  readonly monitor: HealthMonitor;
  readonly checker: FakeChecker;
  readonly types: string[];
  readonly changes: StatusChange[];
}

function setup(options: Partial<HealthMonitorOptions> = {}, logger: Logger = silentLogger()): Fixture {
  const clock = new FakeClock();
  const checker = new FakeChecker();
  const types: string[] = [];
  const monitor = new HealthMonitor({
    clock,
    logger,
    advertiseIp: '10.1.2.3',
    random: () => 0,
    checkerFor: (type) => {
      types.push(type);
      return checker;
    },
    ...options,
  });
  const changes: StatusChange[] = [];
  monitor.onDidChangeStatus((change) => changes.push(change));
  return { clock, monitor, checker, types, changes };
}

const svc = (id: string, overrides: Partial<Service> = {}): Service => makeService({ id, ...overrides });
const httpCheck = (): CheckSpec => ({ type: 'HttpGet', args: 'http://{{ host }}:{{ tcp 10100 }}/health' });

test('a service without a check is UNKNOWN; a new discovered check is UNHEALTHY until it passes', async () => {
  const { monitor, checker, changes } = setup();
  assert.equal(monitor.statusOf('deadbeef123'), ServiceStatus.UNKNOWN);
  monitor.sync([svc('deadbeef123')], httpCheck);
  assert.equal(monitor.statusOf('deadbeef123'), ServiceStatus.UNHEALTHY);
  await monitor.runOnce();
  assert.equal(monitor.statusOf('deadbeef123'), ServiceStatus.ALIVE);
  assert.deepEqual(checker.calls, ['http://10.1.2.3:9999/health']); // templated once, at creation
  assert.deepEqual(changes, [
    { id: 'deadbeef123', status: ServiceStatus.UNHEALTHY },
    { id: 'deadbeef123', status: ServiceStatus.ALIVE },
  ]);
  await monitor.runOnce();
  assert.equal(changes.length, 2, 'no event when the status stays the same');
  assert.deepEqual(monitor.checkCounts(), [{ type: 'HttpGet', outcome: 'healthy', count: 2 }], 'runs counted for /metrics');
  await monitor.close();
});

test('a failing result of any kind makes the service UNHEALTHY, the next pass ALIVE', async () => {
  const { monitor, checker, clock } = setup();
  monitor.sync([svc('a')], httpCheck);
  for (const [outcome, status] of [
    [{ result: 'healthy' }, ServiceStatus.ALIVE],
    [{ result: 'sickly', error: 'HTTP 500' }, ServiceStatus.UNHEALTHY],
    [{ result: 'healthy' }, ServiceStatus.ALIVE],
    [{ result: 'unknown', error: 'ECONNREFUSED' }, ServiceStatus.UNHEALTHY],
  ] as const) {
    const version = monitor.resultsVersion;
    checker.auto = outcome;
    await monitor.runOnce();
    assert.equal(monitor.statusOf('a'), status, JSON.stringify(outcome));
    assert.ok(monitor.resultsVersion > version, 'a new result or reason moves the version');
  }
  assert.deepEqual(monitor.describe(), [
    { id: 'a', type: 'HttpGet', args: 'http://10.1.2.3:9999/health', status: ServiceStatus.UNHEALTHY, state: 'FAILED', lastError: 'ECONNREFUSED', consecutiveFailures: 1, lastResult: 'unknown', lastRunMs: clock.nowMs() },
  ]);
  const version = monitor.resultsVersion;
  await monitor.runOnce();
  assert.equal(monitor.resultsVersion, version, 'the same result and reason again does not');
  await monitor.close();
});

test('a check that does not answer within the interval times out: UNHEALTHY, "Timed out!", aborted', async () => {
  const { monitor, checker, clock } = setup();
  monitor.sync([svc('a')], httpCheck);
  await monitor.runOnce();
  assert.equal(monitor.statusOf('a'), ServiceStatus.ALIVE);
  checker.auto = null;
  let finished = false;
  const round = monitor.runOnce().then(() => (finished = true));
  await clock.advanceAsync(2998, 100);
  assert.equal(finished, false, 'still waiting at 2998 ms');
  assert.equal(monitor.statusOf('a'), ServiceStatus.ALIVE);
  await clock.advanceAsync(1, 1);
  await round;
  assert.equal(monitor.statusOf('a'), ServiceStatus.UNHEALTHY);
  assert.equal(monitor.describe()[0]?.lastError, 'Timed out!');
  assert.equal(checker.signals[1]?.aborted, true, 'the timed-out run is aborted');
  assert.equal(clock.pendingTimers, 0);
  await monitor.close();
});

test('a checker that throws or rejects counts as a failure, not a crash', async () => {
  const clock = new FakeClock();
  let mode: 'throw' | 'reject' = 'throw';
  const monitor = new HealthMonitor({
    clock,
    logger: silentLogger(),
    advertiseIp: '10.1.2.3',
    checkerFor: () => ({
      run: () => {
        if (mode === 'throw') throw new Error('boom');
        return Promise.reject(new Error('bang'));
      },
    }),
  });
  monitor.sync([svc('a')], httpCheck);
  await monitor.runOnce();
  assert.equal(monitor.describe()[0]?.lastError, 'boom');
  mode = 'reject';
  await monitor.runOnce();
  assert.equal(monitor.describe()[0]?.lastError, 'bang');
  assert.equal(monitor.statusOf('a'), ServiceStatus.UNHEALTHY);
  await monitor.close();
});

test('default checks: first tcp port over HttpGet to the advertise IP, else AlwaysSuccessful (starts ALIVE)', async () => {
  const { monitor, types } = setup();
  const services = [
    svc('tcp', { ports: [{ type: 'udp', port: 53, servicePort: 53, ip: '' }, { type: 'tcp', port: 8080, servicePort: 80, ip: '' }, { type: 'tcp', port: 9090, servicePort: 90, ip: '' }] }),
    svc('udp-only', { ports: [{ type: 'udp', port: 53, servicePort: 53, ip: '' }] }),
    svc('no-ports', { ports: null }),
    svc('empty-type', { ports: [{ type: 'tcp', port: 7070, servicePort: 70, ip: '' }] }),
  ];
  monitor.sync(services, (s) => (s.id === 'empty-type' ? { type: '', args: 'ignored' } : null));
  assert.deepEqual(
    monitor.describe().map(({ id, type, args, status }) => ({ id, type, args, status })),
    [
      { id: 'tcp', type: 'HttpGet', args: 'http://10.1.2.3:8080/version', status: ServiceStatus.UNHEALTHY },
      { id: 'udp-only', type: 'AlwaysSuccessful', args: '', status: ServiceStatus.ALIVE },
      { id: 'no-ports', type: 'AlwaysSuccessful', args: '', status: ServiceStatus.ALIVE },
      { id: 'empty-type', type: 'HttpGet', args: 'http://10.1.2.3:7070/version', status: ServiceStatus.UNHEALTHY },
    ],
  );
  assert.deepEqual(types, ['HttpGet', 'AlwaysSuccessful', 'AlwaysSuccessful', 'HttpGet']);
  await monitor.close();
});

test('the default check endpoint is configurable, and an empty one means "/"', async () => {
  for (const [endpoint, url] of [
    ['/something/else', 'http://10.1.2.3:9999/something/else'],
    ['', 'http://10.1.2.3:9999/'],
  ] as const) {
    const { monitor } = setup({ defaultCheckEndpoint: endpoint });
    monitor.sync([svc('a')], () => null);
    assert.equal(monitor.describe()[0]?.args, url);
    await monitor.close();
  }
  const v6 = setup({ advertiseIp: 'fd00::1' });
  v6.monitor.sync([svc('a')], () => null);
  assert.equal(v6.monitor.describe()[0]?.args, 'http://[fd00::1]:9999/version');
  await v6.monitor.close();
});

test('unknown check types run as HttpGet and are warned about once per service', async () => {
  const { logger, records } = captureLogger();
  const clock = new FakeClock();
  const monitor = new HealthMonitor({ clock, logger, advertiseIp: '127.0.0.1' });
  const check = (): CheckSpec => ({ type: 'external', args: 'http://127.0.0.1:1/' });
  monitor.sync([svc('a'), svc('b')], check);
  monitor.sync([svc('a'), svc('b')], check);
  const warnings = records.filter((r) => r.level === LEVEL.warn && /Unknown health check type/.test(r.msg));
  assert.deepEqual(warnings.map((r) => [r['id'], r['didYouMean']]), [['a', 'External'], ['b', 'External']]);
  assert.equal(monitor.describe()[0]?.type, 'external');
  await monitor.close();
});

test('a bad template is logged and the raw args kept', async () => {
  const { logger, records } = captureLogger();
  const { monitor, checker } = setup({}, logger);
  monitor.sync([svc('a')], () => ({ type: 'External', args: 'check {{ port 80 }}' }));
  await monitor.runOnce();
  assert.deepEqual(checker.calls, ['check {{ port 80 }}']);
  const errors = records.filter((r) => r.level === LEVEL.error);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.['code'], 'SC_ERR_HEALTH_TEMPLATE');
  assert.match(String(errors[0]?.['err']), /function "port" not defined/);
  await monitor.close();
});

test('vanished services lose their check (and a running one is aborted and ignored); empty IDs are skipped', async () => {
  const { monitor, checker, clock } = setup();
  let asked = 0;
  const checkFor = (): CheckSpec => {
    asked++;
    return httpCheck();
  };
  monitor.sync([svc('a'), svc('b'), svc('')], checkFor);
  monitor.sync([svc('a'), svc('b'), svc('')], checkFor);
  assert.equal(asked, 2, 'checks are made once per new ID');
  assert.deepEqual(monitor.describe().map((c) => c.id), ['a', 'b']);

  checker.auto = null;
  const round = monitor.runOnce();
  await clock.advanceAsync(10, 10);
  assert.equal(checker.inflight, 2);
  monitor.sync([svc('a')], checkFor);
  assert.equal(checker.signals[1]?.aborted, true, "b's running check is aborted");
  checker.resolveAll({ result: 'healthy' });
  await round;
  assert.deepEqual(monitor.describe().map((c) => c.id), ['a']);
  assert.equal(monitor.statusOf('a'), ServiceStatus.ALIVE);
  assert.equal(monitor.statusOf('b'), ServiceStatus.UNKNOWN);

  await monitor.close();
});

test('at most `concurrency` checks run at once', async () => {
  const { monitor, checker, clock } = setup({ concurrency: 2 });
  checker.auto = null;
  monitor.sync(['a', 'b', 'c', 'd', 'e'].map((id) => svc(id)), httpCheck);
  const round = monitor.runOnce();
  for (let i = 0; i < 5 && checker.calls.length < 5; i++) {
    await clock.advanceAsync(10, 10);
    assert.ok(checker.inflight <= 2);
    checker.resolveAll({ result: 'healthy' });
  }
  await round;
  assert.equal(checker.calls.length, 5);
  assert.equal(checker.maxInflight, 2);
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((id) => monitor.statusOf(id)), Array(5).fill(ServiceStatus.ALIVE));
  await monitor.close();
});

test('start() runs a round every interval and skips a tick while a round is still running', async () => {
  const { monitor, checker, clock } = setup({ concurrency: 1 });
  monitor.sync([svc('a'), svc('b')], httpCheck);
  monitor.start();
  await clock.advanceAsync(10, 10);
  assert.equal(checker.calls.length, 2, 'first round right after start (jitter 0)');
  checker.auto = null; // from now on every check hangs until its timeout
  await clock.advanceAsync(3000, 1);
  assert.equal(checker.calls.length, 3, 'round 2 at 3000: a runs, b waits for the single slot');
  await clock.advanceAsync(3000, 1);
  // a timed out at 5999 and b took the slot; the tick at 6000 found round 2 running and was skipped.
  assert.equal(checker.calls.length, 4);
  assert.equal(monitor.describe().find((c) => c.id === 'a')?.lastError, 'Timed out!');
  await clock.advanceAsync(2900, 1);
  assert.equal(checker.calls.length, 4, 'no new round while b is still running');
  await clock.advanceAsync(200, 1);
  assert.equal(checker.calls.length, 5, 'b timed out at 8998; the tick at 9000 starts round 3');
  await monitor.close();
  assert.equal(clock.pendingTimers, 0);
});

test('fallCount and riseCount tolerate flapping', async () => {
  const { monitor, checker } = setup({ fallCount: 2, riseCount: 2 });
  monitor.sync([svc('a')], httpCheck);
  await monitor.runOnce();
  assert.equal(monitor.statusOf('a'), ServiceStatus.UNHEALTHY, 'one pass is not enough with riseCount 2');
  await monitor.runOnce();
  assert.equal(monitor.statusOf('a'), ServiceStatus.ALIVE);
  checker.auto = { result: 'sickly', error: 'HTTP 503' };
  await monitor.runOnce();
  assert.equal(monitor.statusOf('a'), ServiceStatus.ALIVE, 'one failure is tolerated with fallCount 2');
  await monitor.runOnce();
  assert.equal(monitor.statusOf('a'), ServiceStatus.UNHEALTHY);
  await monitor.close();
});

test('close() aborts running checks, waits even for checkers that ignore abort, leaves no timers, and is idempotent', async () => {
  const { monitor, checker, clock, changes } = setup();
  checker.auto = null;
  checker.ignoreAbort = true;
  monitor.sync([svc('a')], httpCheck);
  monitor.start();
  await clock.advanceAsync(10, 10);
  assert.equal(checker.inflight, 1);
  const first = monitor.close();
  const second = monitor.close();
  assert.equal(first, second);
  await first;
  assert.equal(checker.signals[0]?.aborted, true);
  assert.equal(clock.pendingTimers, 0);
  checker.resolveAll({ result: 'healthy' });
  await monitor.runOnce();
  monitor.start();
  assert.equal(clock.pendingTimers, 0, 'start() after close() does nothing');
  assert.deepEqual(changes, [{ id: 'a', status: ServiceStatus.UNHEALTHY }], 'no result is recorded after close');
});

test('close() before start() and a monitor never started leak nothing', async () => {
  const { monitor, clock } = setup();
  await monitor.close();
  assert.equal(clock.pendingTimers, 0);
});

test('bad numeric options are refused with a config error', () => {
  assert.throws(() => setup({ concurrency: 0 }), { code: 'SC_ERR_CONFIG_INVALID' });
  assert.throws(() => setup({ fallCount: 1.5 }), { code: 'SC_ERR_CONFIG_INVALID' });
});

test('failures are logged once per streak (then at debug); one that changes the status is left to the status-change line', async () => {
  const { logger, records } = captureLogger();
  const { monitor, checker } = setup({ fallCount: 2 }, logger);
  monitor.sync([svc('a')], httpCheck);
  await monitor.runOnce();
  checker.auto = { result: 'sickly', error: 'HTTP 503' };
  for (let i = 0; i < 3; i++) await monitor.runOnce();
  const failed = records.filter((r) => /Health check (failed|still failing)/.test(r.msg));
  assert.deepEqual(failed.map((r) => [r.level, r['code']]), [
    [LEVEL.warn, 'SC_ERR_HEALTH_CHECK_FAILED'], // still ALIVE (fallCount 2): said here
    [LEVEL.debug, 'SC_ERR_HEALTH_CHECK_FAILED'], // UNHEALTHY now: the agent's change line says why
    [LEVEL.debug, 'SC_ERR_HEALTH_CHECK_FAILED'],
  ]);
  assert.equal(failed[0]?.['outcome'], 'wrong_answer', 'the outcome in words, not the Go-internal "sickly"');
  assert.equal('result' in (failed[0] ?? {}), false);
  assert.match(String(failed[0]?.msg), /^Health check failed: HttpGet .*: HTTP 503$/);
  // The agent's "Service status changed" line says it at info, with the check's reason; the monitor's own line is debug.
  const changed = records.filter((r) => r.msg === 'Health status changed');
  assert.deepEqual(changed.map((r) => [r.level, r['previous'], r['status']]), [
    [LEVEL.debug, 'UNHEALTHY', 'ALIVE'],
    [LEVEL.debug, 'ALIVE', 'UNHEALTHY'],
  ]);
  assert.match(monitor.reasonFor('a') ?? '', /^HttpGet .* failed \(3 times in a row\): HTTP 503$/);
  await monitor.close();
});

test('a check added after start() runs at once, not at the next round', async () => {
  const { monitor, checker } = setup();
  monitor.start();
  monitor.sync([makeService({ id: 'late' })], () => ({ type: 'HttpGet', args: 'http://x/' }));
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(checker.calls, ['http://x/']);
  assert.equal(monitor.statusOf('late'), ServiceStatus.ALIVE);
  await monitor.close();
});

test('a discovered AlwaysSuccessful check starts ALIVE (no UNHEALTHY blip)', async () => {
  const { monitor } = setup();
  monitor.sync([makeService({ id: 'always' })], () => ({ type: 'AlwaysSuccessful', args: '' }));
  assert.equal(monitor.statusOf('always'), ServiceStatus.ALIVE);
  await monitor.close();
});
