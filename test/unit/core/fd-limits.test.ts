import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROL_PLANE_RESERVE_FDS, apiMaxConnections, defaultMaxConnections, parseFdLimits, readFdLimits } from '../../../src/core/index.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             127590               127590               processes
Max open files            256                  4096                 files
Max locked memory         8388608              8388608              bytes
`;

test('reads "Max open files" from /proc/<pid>/limits text', () => {
  assert.deepEqual(parseFdLimits(LIMITS), { soft: 256, hard: 4096 });
  assert.deepEqual(parseFdLimits('Max open files            unlimited            unlimited            files\n'), { soft: Infinity, hard: Infinity });
  assert.equal(parseFdLimits('Max processes 1 1 processes\n'), undefined);
  assert.equal(parseFdLimits('Max open files            lots                 4096                 files\n'), undefined);
  assert.equal(parseFdLimits('Max open files            99999999999999999999 1 files\n'), undefined, 'absurd lengths are refused');
  assert.equal(readFdLimits('/nonexistent/limits'), undefined);
});

test('this process: the limit read is the one getrlimit reports (Node raised the soft limit to the hard one)', () => {
  const limits = readFdLimits();
  if (limits === undefined) return; // not Linux
  assert.equal(limits.soft, limits.hard, 'Node raises the soft limit to the hard one at start');
});

test('the default cap is half of what the reserve and the API share leave, within bounds', () => {
  assert.equal(CONTROL_PLANE_RESERVE_FDS, 128);
  assert.equal(defaultMaxConnections({ soft: 256, hard: 256 }), 48);
  assert.equal(defaultMaxConnections({ soft: 1024, hard: 1024 }), 336);
  assert.equal(defaultMaxConnections({ soft: 65536, hard: 65536 }), 24528);
  assert.equal(defaultMaxConnections({ soft: 100, hard: 100 }), 16, 'a tiny limit still lets the proxy work (the daemon warns)');
  assert.equal(defaultMaxConnections({ soft: Infinity, hard: Infinity }), 1 << 20);
  assert.equal(defaultMaxConnections(undefined), 4096, 'unknown limit: HAProxy maxconn 4096');
});

test('the API gets a quarter of what the reserve leaves, at most its configured cap, at least 8', () => {
  assert.equal(apiMaxConnections(256, undefined), 256, 'unknown limit: the setting');
  assert.equal(apiMaxConnections(256, { soft: Infinity, hard: Infinity }), 256);
  assert.equal(apiMaxConnections(256, { soft: 1_048_576, hard: 1_048_576 }), 256);
  assert.equal(apiMaxConnections(256, { soft: 1024, hard: 1024 }), 224);
  assert.equal(apiMaxConnections(256, { soft: 256, hard: 256 }), 32);
  assert.equal(apiMaxConnections(256, { soft: 100, hard: 100 }), 8, 'never below 8');
});

test('a flood of the API and the load balancer together leaves the reserve to the control plane', () => {
  for (const soft of [256, 512, 1024, 4096, 65536]) {
    const limits = { soft, hard: soft };
    const used = 2 * defaultMaxConnections(limits) + apiMaxConnections(1_000_000, limits);
    assert.ok(used <= soft - CONTROL_PLANE_RESERVE_FDS, `limit ${soft}: ${used} fds for outsiders`);
  }
});
