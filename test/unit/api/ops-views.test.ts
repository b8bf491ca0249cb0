/**
 * What the UI's event stream carries: services with their checks (local ones only), members
 * in every state with service counts that leave tombstones out, the timeline ring, and the
 * load balancer's figures turned into windowed rates and percentiles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceStatus } from '../../../src/catalog/index.js';
import type { CheckDescription } from '../../../src/health/index.js';
import type { ProxyStatus } from '../../../src/proxy/index.js';
import { membersView, servicesView } from '../../../src/api/ops-views.js';
import { ProxyRates, quantile } from '../../../src/api/proxy-view.js';
import { Timeline } from '../../../src/api/timeline.js';
import { makeService, makeState } from '../../helpers/catalog.js';

const check: CheckDescription = {
  id: 'local1',
  type: 'HttpGet',
  args: 'http://127.0.0.1:9999/health',
  status: ServiceStatus.UNHEALTHY,
  state: 'FAILED',
  lastError: 'HTTP 503 from http://127.0.0.1:9999/health',
  consecutiveFailures: 2,
  lastResult: 'sickly',
  lastRunMs: 1234,
};

describe('servicesView and membersView', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService({ id: 'local1', name: 'web', hostname: 'chaucer', status: ServiceStatus.UNHEALTHY }));
  state.addServiceEntry(makeService({ id: 'local2', name: 'web', hostname: 'chaucer', status: ServiceStatus.TOMBSTONE }));
  state.addServiceEntry(makeService({ id: 'remote1', name: 'web', hostname: 'marlowe' }));
  state.addServiceEntry(makeService({ id: 'gone1', name: 'db', hostname: 'kyd' }));

  it('groups instances by service, with the check (type, result, reason) of local instances only', () => {
    const view = servicesView(state, [check, { ...check, id: 'remote1' }]);
    assert.deepEqual(view.map((s) => s.name), ['db', 'web']);
    const web = view[1]?.instances ?? [];
    assert.deepEqual(web.map((i) => [i.host, i.id, i.statusName]), [
      ['chaucer', 'local1', 'UNHEALTHY'],
      ['chaucer', 'local2', 'TOMBSTONE'],
      ['marlowe', 'remote1', 'ALIVE'],
    ]);
    assert.deepEqual(web[0]?.check, { type: 'HttpGet', result: 'sickly', reason: 'HTTP 503 from http://127.0.0.1:9999/health', lastRunMs: 1234, consecutiveFailures: 2 });
    assert.equal(web[2]?.check, null, 'a check with the same ID on another host is not this one');
  });

  it('lists members in every state, counts only live records, and keeps hosts only the catalog still knows', () => {
    const members = [
      { name: 'chaucer', address: '127.0.0.1:7946', state: 'alive', incarnation: 3, stateChangeMs: 10, meta: null },
      { name: 'marlowe', address: '127.0.0.2:7946', state: 'dead', incarnation: 7, stateChangeMs: 20, meta: null },
      { name: 'spenser', address: '127.0.0.3:7946', state: 'left', incarnation: 1, stateChangeMs: 30, meta: null },
    ];
    const view = membersView(members, state);
    assert.deepEqual(view.map((m) => [m.name, m.state, m.services]), [
      ['chaucer', 'alive', 1],
      ['kyd', 'gone', 1],
      ['marlowe', 'dead', 1],
      ['spenser', 'left', 0],
    ]);
    assert.equal(view[2]?.incarnation, 7);
  });
});

describe('Timeline', () => {
  it('keeps the last N entries, oldest first, numbered', () => {
    const t = new Timeline(3);
    for (let i = 1; i <= 5; i++) t.add({ timeMs: i, kind: 'member', host: `h${i}`, subject: `h${i}`, from: '', to: 'alive' });
    assert.deepEqual(t.entries().map((e) => [e.seq, e.host]), [
      [3, 'h3'],
      [4, 'h4'],
      [5, 'h5'],
    ]);
  });
});

describe('ProxyRates', () => {
  const bounds = [1, 2, 5, 10];
  it('quantile interpolates inside the bucket, answers the top bound in +Inf, null when empty', () => {
    assert.equal(quantile([0, 0, 0, 0, 0], bounds, 0.5), null);
    assert.equal(quantile([0, 10, 0, 0, 0], bounds, 0.5), 1.5);
    assert.equal(quantile([50, 0, 0, 50, 0], bounds, 0.99), 9.9);
    assert.equal(quantile([0, 0, 0, 0, 3], bounds, 0.5), 10);
  });

  function status(requests: number, counts: number[], conns: number): ProxyStatus {
    const latency = { bucketsMs: bounds, counts, count: requests, sumMs: 0 };
    const responses = { '1xx': 0, '2xx': requests - 1, '3xx': 0, '4xx': 0, '5xx': 1 };
    const errors = { connect: 2, timeout: 0, reset: 0, badRequest: 0, badResponse: 0 };
    const endpoint = { key: 'h1-a', requests, responses, errors, bytesIn: 0, bytesOut: 0, latency, idleConnections: 0, ejections: 1, ejectedUntilMs: 99 };
    return {
      bindIp: '192.168.168.168',
      routes: [
        {
          servicePort: 10100,
          serviceName: 'web',
          mode: 'http',
          endpoints: [{ key: 'h1-a', hostname: 'h1', serviceId: 'a', ip: '10.0.0.1', port: 8080 }],
          warming: ['h1-a'],
          listener: {
            port: 10100,
            mode: 'http',
            state: 'listening',
            listening: true,
            connectionsTotal: conns,
            connectionsActive: 4,
            rejectedTotal: 0,
            noEndpointTotal: 0,
            connectErrors: 0,
            bytesIn: 0,
            bytesOut: 0,
            ejections: 1,
            endpoints: [{ key: 'h1-a', ip: '10.0.0.1', port: 8080, connectionsTotal: 1, connectionsActive: 3, connectErrors: 0, bytesIn: 0, bytesOut: 0, ejections: 1, ejectedUntilMs: 99 }],
            http: { requests, responses, errors, bytesIn: 0, bytesOut: 0, latency, upstreamConnections: 1, idleUpstreamConnections: 0, ejections: 1, endpoints: [endpoint] },
          },
        },
      ],
      draining: [],
      collisions: [{ servicePort: 10100, owner: 'web', rejected: ['api'] }],
      excluded: [],
      connectionBudget: null,
    } as unknown as ProxyStatus;
  }

  it('gives rates and percentiles over the window from cumulative counters, and the port state', () => {
    const rates = new ProxyRates(5000);
    const first = rates.add(status(100, [100, 0, 0, 0, 0], 10), 0);
    assert.equal(first.ports[0]?.endpoints[0]?.ratePerSec, 0, 'no window yet');
    assert.equal(first.ports[0]?.endpoints[0]?.p50Ms, null);
    // 1 s later: 200 more requests, all between 5 and 10 ms.
    const second = rates.add(status(300, [100, 0, 0, 200, 0], 12), 1000);
    const port = second.ports[0];
    const e = port?.endpoints[0];
    assert.equal(second.windowMs, 1000);
    assert.equal(e?.ratePerSec, 200);
    assert.equal(e?.p50Ms, 7.5);
    assert.equal(e?.p99Ms, 9.95);
    assert.equal(e?.errors, 3, 'connect errors and 5xx answers');
    assert.equal(e?.active, 3);
    assert.equal(e?.ejectedUntilMs, 99);
    assert.equal(e?.warming, true);
    assert.equal(port?.ratePerSec, 200);
    assert.deepEqual(port?.rejected, ['api']);
    assert.equal(port?.active, 4);
  });

  it('keeps at most one window of history: the base moves forward', () => {
    const rates = new ProxyRates(2000);
    for (let t = 0; t <= 10_000; t += 1000) rates.add(status(t, [t, 0, 0, 0, 0], 0), t);
    const view = rates.add(status(11_000, [11_000, 0, 0, 0, 0], 0), 11_000);
    assert.equal(view.windowMs, 2000);
    assert.equal(view.ports[0]?.endpoints[0]?.ratePerSec, 1000, '2000 requests in 2 s');
  });
});
