import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from '../../../src/core/index.js';
import { ServiceStatus, type ChangeCause, type StatusCode } from '../../../src/catalog/index.js';
import { changeLine } from '../../../src/daemon/change-line.js';
import { makeService } from '../../helpers/catalog.js';

const ctx = {
  hostname: 'h1',
  healthReason: (id: string) => (id === 'web1' ? 'HttpGet http://10.0.0.5:8080/health failed: HTTP 503 from http://10.0.0.5:8080/health' : undefined),
};
const time = parseTimestamp('2026-12-07T10:00:00Z');
function line(hostname: string, status: StatusCode, previousStatus: StatusCode, cause?: ChangeCause) {
  const service = makeService({ id: 'web1', name: 'web', hostname, status });
  return changeLine({ service, previousStatus, time, ...(cause === undefined ? {} : { cause }) }, ctx);
}

test('a local service going UNHEALTHY: one warn line with names, codes and the check as its cause', () => {
  const l = line('h1', ServiceStatus.UNHEALTHY, ServiceStatus.ALIVE, 'update');
  assert.equal(l.level, 'warn');
  assert.equal(
    l.msg,
    'Service status changed: web (id web1) on h1: ALIVE → UNHEALTHY: HttpGet http://10.0.0.5:8080/health failed: HTTP 503 from http://10.0.0.5:8080/health',
  );
  assert.deepEqual(
    { ...l.fields, reason: undefined },
    { service: 'web', id: 'web1', hostname: 'h1', previous: 'ALIVE', status: 'UNHEALTHY', previousCode: 0, statusCode: 2, cause: 'update', reason: undefined },
  );
});

test('the cause of each kind of change, in words', () => {
  assert.match(line('h2', ServiceStatus.ALIVE, ServiceStatus.UNKNOWN, 'new').msg, /on h2: \(new\) → ALIVE: as announced by h2$/);
  assert.match(line('h2', ServiceStatus.TOMBSTONE, ServiceStatus.ALIVE, 'host-left').msg, /ALIVE → TOMBSTONE: its host h2 left the cluster/);
  const expired = line('h2', ServiceStatus.TOMBSTONE, ServiceStatus.ALIVE, 'expired');
  assert.equal(expired.level, 'warn');
  assert.match(expired.msg, /not refreshed within its lifespan/);
  assert.match(line('h1', ServiceStatus.TOMBSTONE, ServiceStatus.ALIVE, 'vanished').msg, /discovery no longer reports it/);
  assert.match(line('h1', ServiceStatus.DRAINING, ServiceStatus.ALIVE, 'update').msg, /ALIVE → DRAINING: drained/);
  assert.match(line('h1', ServiceStatus.UNKNOWN, ServiceStatus.DRAINING, 'update').msg, /DRAINING → UNKNOWN: undrained/);
  assert.equal(line('h1', ServiceStatus.ALIVE, ServiceStatus.UNHEALTHY, 'update').level, 'info');
});

test('a status code outside Go\'s five is named, not hidden', () => {
  assert.equal(line('h2', 7, ServiceStatus.ALIVE, 'update').fields['status'], 'TOMBSTONE(7)');
});
