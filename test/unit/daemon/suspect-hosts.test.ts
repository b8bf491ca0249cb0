import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { withoutSuspectHosts } from '../../../src/daemon/suspect-hosts.js';
import { makeService } from '../../helpers/catalog.js';

test('instances on suspect hosts leave the rotation while another ALIVE instance is elsewhere, never the last ones', () => {
  const records = [
    makeService({ id: 'a1', name: 'web', hostname: 'h1' }),
    makeService({ id: 'a2', name: 'web', hostname: 'h2' }),
    makeService({ id: 'b2', name: 'db', hostname: 'h2' }),
    makeService({ id: 'c2', name: 'cache', hostname: 'h2', status: ServiceStatus.DRAINING }),
    makeService({ id: 'c3', name: 'cache', hostname: 'h3', status: ServiceStatus.UNHEALTHY }),
  ];
  const out = withoutSuspectHosts(records, new Set(['h2']));
  const status = new Map(out.map((r) => [r.id, r.status]));
  assert.equal(status.get('a1'), ServiceStatus.ALIVE);
  assert.equal(status.get('a2'), ServiceStatus.UNHEALTHY, 'web still has h1');
  assert.equal(status.get('b2'), ServiceStatus.ALIVE, 'db has nowhere else to go');
  assert.equal(status.get('c2'), ServiceStatus.DRAINING, 'other statuses untouched');
  assert.equal(records[1]?.status, ServiceStatus.ALIVE, 'the input is not changed');
  assert.deepEqual(withoutSuspectHosts(records, new Set()), records);
});
