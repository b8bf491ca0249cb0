import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, silentLogger } from '../../../src/core/index.js';
import { HealthMonitor, type CheckOutcome, type Checker } from '../../../src/health/index.js';
import { SPREAD_MIN_BATCH, SPREAD_STEP_MS, spreadRuns } from '../../../src/health/spread-runs.js';
import { makeService } from '../../helpers/catalog.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test(`up to ${SPREAD_MIN_BATCH} runs start at once, as before`, async () => {
  const clock = new FakeClock();
  const started: number[] = [];
  const round = spreadRuns(Array.from({ length: SPREAD_MIN_BATCH }, (_, i) => i), async (i) => void started.push(i), 1500, clock);
  assert.equal(started.length, SPREAD_MIN_BATCH);
  await round.done;
  assert.equal(clock.pendingTimers, 0);
});

test('10,000 runs start in equal batches over the window, never more than one batch per turn', async () => {
  const clock = new FakeClock();
  const startedAt: number[] = [];
  const t0 = clock.nowMs();
  let finished = false;
  const round = spreadRuns(Array.from({ length: 10_000 }, (_, i) => i), async () => void startedAt.push(clock.nowMs() - t0), 1500, clock);
  void round.done.then(() => (finished = true));
  const batch = Math.ceil(10_000 / (1500 / SPREAD_STEP_MS));
  assert.equal(startedAt.length, batch, 'the first batch at once');
  for (let t = SPREAD_STEP_MS; t <= 1500; t += SPREAD_STEP_MS) {
    clock.advance(SPREAD_STEP_MS);
    assert.ok(startedAt.length <= batch * (t / SPREAD_STEP_MS + 1));
  }
  assert.equal(startedAt.length, 10_000, 'all started within the window');
  assert.ok(Math.max(...startedAt) < 1500);
  await flush();
  assert.ok(finished);
  assert.equal(clock.pendingTimers, 0);
});

test('cancel() starts no more runs and the round settles once the started ones have', async () => {
  const clock = new FakeClock();
  let started = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const round = spreadRuns(Array.from({ length: 1000 }, (_, i) => i), () => (started++, gate), 1500, clock);
  let settled = false;
  void round.done.then(() => (settled = true));
  clock.advance(SPREAD_STEP_MS);
  const before = started;
  round.cancel();
  round.cancel();
  clock.advance(1500);
  assert.equal(started, before);
  assert.equal(clock.pendingTimers, 0);
  await flush();
  assert.equal(settled, false, 'started runs still pending');
  release();
  await flush();
  assert.equal(settled, true);
});

test('monitor: a round of 1,000 checks is spread, close() mid-round leaves no timer, in-memory checkers take no queue slot', async () => {
  const clock = new FakeClock();
  let runs = 0;
  const remote: Checker = { run: () => (runs++, Promise.resolve<CheckOutcome>({ result: 'healthy' })) };
  const monitor = new HealthMonitor({ clock, logger: silentLogger(), advertiseIp: '10.0.0.1', checkerFor: () => remote });
  monitor.sync(Array.from({ length: 1000 }, (_, i) => makeService({ id: `s${i}` })), () => ({ type: 'HttpGet', args: 'http://x/' }));
  const round = monitor.runOnce();
  await flush();
  assert.ok(runs > 0 && runs < 1000, `${runs} of 1000 started in the first turn`);
  await clock.advanceAsync(1500, SPREAD_STEP_MS);
  await round;
  assert.equal(runs, 1000);
  void monitor.runOnce();
  await flush();
  await monitor.close();
  assert.equal(clock.pendingTimers, 0);

  // A hung remote check holds the only slot; in-memory checks (DockerHealth here) still run.
  const clock2 = new FakeClock();
  const hung: Checker = { run: () => new Promise<CheckOutcome>(() => undefined) };
  const always: Checker = { run: () => Promise.resolve({ result: 'healthy' }), runNow: () => ({ result: 'healthy' }) };
  const monitor2 = new HealthMonitor({
    clock: clock2,
    logger: silentLogger(),
    advertiseIp: '10.0.0.1',
    concurrency: 1,
    checkerFor: (type) => (type === 'DockerHealth' ? always : hung),
  });
  monitor2.sync([makeService({ id: 'hung' }), makeService({ id: 'mem' })], (svc) => (svc.id === 'hung' ? { type: 'HttpGet', args: 'http://x/' } : { type: 'DockerHealth', args: 'abc' }));
  assert.equal(monitor2.describe().find((c) => c.id === 'mem')?.state, 'FAILED', 'starts FAILED');
  void monitor2.runOnce();
  await flush();
  assert.equal(monitor2.describe().find((c) => c.id === 'mem')?.state, 'HEALTHY');
  await monitor2.close();
});
