import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/core/index.js';
import { WORKER_STALL_TIMEOUT_MS } from '../../../../src/proxy/index.js';
import { eventually } from '../../../helpers/eventually.js';
import { httpServiceOnWorkers, run, steadyLoad } from './workers-harness.js';

/*
 * A worker whose event loop blocks (the `stall` fault: a busy loop) stops sending its load
 * reports; the watchdog terminates it after WORKER_STALL_TIMEOUT_MS and the slot is replaced,
 * while the other worker keeps serving and hands the blocked one nothing (stale heartbeat).
 */

test('a stalled worker is shown unresponsive, then replaced by the watchdog; the other keeps serving', { timeout: 40_000 }, async (t) => {
  const { p, servicePort } = await httpServiceOnWorkers(t, ['a', 'b']);
  const load = steadyLoad(t, servicePort, { keepAlive: 4, fresh: 2 });
  t.after(() => load.stop());
  await eventually(async () => assert.ok((await p.workers()).every((w) => w.requests > 0)), { timeoutMs: 5_000 });

  p.lb.workerPlane?.injectFault(0, 'stall');
  const stalledAt = Date.now();
  await eventually(async () => assert.equal((await p.workers())[0]!.state, 'unresponsive'), { timeoutMs: 5_000, intervalMs: 100 });
  const servedBefore = (await p.workers())[1]!.requests;
  const back = await eventually(
    async () => {
      const w = (await p.workers())[0]!;
      assert.equal(w.restarts, 1);
      assert.equal(w.state, 'running');
      return Date.now();
    },
    { timeoutMs: WORKER_STALL_TIMEOUT_MS + 5_000, intervalMs: 100 },
  );
  const shares = await p.workers();
  const okWhileStalled = load.outcomes.filter((o) => o.ok && o.atMs > stalledAt && o.atMs < back).length;
  t.diagnostic(`replaced ${back - stalledAt} ms after the stall; ${okWhileStalled} requests answered meanwhile; ${load.failures().length} failed`);
  assert.ok(back - stalledAt >= WORKER_STALL_TIMEOUT_MS - 1_000, 'not before the stall timeout');
  assert.ok(shares[1]!.requests > servedBefore && okWhileStalled > 0, 'the other worker kept serving');
  assert.equal(shares[1]!.restarts, 0);
  await eventually(async () => assert.ok((await p.workers())[0]!.requests > 0, 'the replacement serves'), { timeoutMs: 5_000 });
  for (const f of load.failures()) assert.ok(f.atMs <= back + 100, `a request failed after the replacement: ${f.body}`);
  const failedAfter = load.failures().length;
  await run(300);
  assert.equal(load.failures().length, failedAfter);

  const died = p.logs.filter((r) => r['code'] === ErrorCode.PROXY_WORKER_DIED);
  assert.equal(died.length, 1);
  assert.equal(died[0]!['worker'], 0);
  assert.match(String(died[0]!['msg']), /stalled: no report for \d+ ms/);
});
