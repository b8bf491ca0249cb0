import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, ErrorCode } from '../../../src/core/index.js';
import { ConnectionBudget } from '../../../src/proxy/index.js';
import { captureLogger } from '../../helpers/log-capture.js';

test('admits client connections up to the cap, then refuses and counts them', () => {
  const { logger } = captureLogger();
  const b = new ConnectionBudget({ maxConnections: 3, logger, clock: new FakeClock() });
  assert.equal(b.admit(), true);
  assert.equal(b.admit(), true);
  assert.equal(b.admit(), true);
  assert.equal(b.admit(), false);
  assert.equal(b.admit(), false);
  assert.deepEqual(b.stats(), { maxConnections: 3, connections: 3, idleUpstreams: 0, rejectedTotal: 2, fdLimit: null, reserveFds: null });
  b.release();
  assert.equal(b.admit(), true);
  assert.equal(b.stats().connections, 3);
});

test('idle pooled connections count one fd each and are given up for new clients', () => {
  const { logger } = captureLogger();
  const b = new ConnectionBudget({ maxConnections: 2, logger, clock: new FakeClock() });
  assert.equal(b.admit(), true); // 2 fds of 4
  assert.equal(b.keepIdle(), true); // 3
  assert.equal(b.keepIdle(), true); // 4
  assert.equal(b.keepIdle(), false, 'no room for a third idle connection');
  // A new client needs 2 fds: the pool gives up its idle connections for it.
  let pool = 2;
  const evict = (): boolean => {
    if (pool === 0) return false;
    pool--;
    b.idleGone();
    return true;
  };
  b.addEvictor(evict);
  assert.equal(b.admit(), true);
  assert.equal(pool, 0);
  assert.deepEqual({ ...b.stats(), rejectedTotal: 0 }, { maxConnections: 2, connections: 2, idleUpstreams: 0, rejectedTotal: 0, fdLimit: null, reserveFds: null });
  assert.equal(b.admit(), false, 'nothing left to evict');
  b.removeEvictor(evict);
});

test('refusals are logged with their code and the setting to raise, at most once a minute', () => {
  const { logger, records } = captureLogger();
  const clock = new FakeClock();
  const b = new ConnectionBudget({ maxConnections: 1, logger, clock, fdLimit: 256, reserveFds: 128 });
  b.admit();
  for (let i = 0; i < 100; i++) b.admit();
  clock.advance(59_000);
  b.admit();
  const warns = () => records.filter((r) => r['code'] === ErrorCode.PROXY_FD_BUDGET);
  assert.equal(warns().length, 1);
  assert.match(String(warns()[0]?.['msg']), /PROXY_MAX_CONNECTIONS/);
  assert.match(String(warns()[0]?.['msg']), /ulimit -n/);
  clock.advance(1_000);
  b.admit();
  assert.equal(warns().length, 2);
  assert.equal(warns()[1]?.['refused'], 101, 'the second line counts the refusals since the first');
  assert.equal(b.stats().rejectedTotal, 102);
});
