import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceStatus, type Port, type Service } from '../../../src/catalog/index.js';
import {
  buildRoutingTable,
  toProxyMode,
  type RoutingTable,
} from '../../../src/proxy/index.js';
import { makeService, ts } from '../../helpers/catalog.js';

const T0 = ts('2024-01-01T00:00:00Z');
/** `T0 + s` seconds. */
function at(s: number): bigint {
  return T0 + BigInt(s) * 1_000_000_000n;
}

function tcp(servicePort: number, port: number, ip = '10.0.0.1'): Port {
  return { type: 'tcp', port, servicePort, ip };
}

function svc(name: string, hostname: string, id: string, over: Partial<Service> = {}): Service {
  return makeService({ name, hostname, id, ports: [tcp(8000, 30000)], updated: at(0), ...over });
}

function route(table: RoutingTable, port: number) {
  const r = table.routes.find((r) => r.servicePort === port);
  assert.ok(r, `route on ${port}`);
  return r;
}

test('only ALIVE records become endpoints', () => {
  const statuses = [
    ServiceStatus.ALIVE,
    ServiceStatus.UNHEALTHY,
    ServiceStatus.UNKNOWN,
    ServiceStatus.DRAINING,
    ServiceStatus.TOMBSTONE,
    99, // unknown code: a tombstone
  ];
  const table = buildRoutingTable(statuses.map((status, i) => svc('web', `h${i}`, `id${i}`, { status })));
  assert.deepEqual(
    route(table, 8000).endpoints.map((e) => e.key),
    ['h0-id0'],
  );
});

test('no ALIVE record: the port is held with no endpoints (503 / prompt close); tombstones hold nothing', () => {
  const table = buildRoutingTable([
    svc('web', 'a', '1', { status: ServiceStatus.DRAINING }),
    svc('web', 'b', '2', { status: ServiceStatus.UNHEALTHY }),
  ]);
  assert.equal(table.routes.length, 1);
  const [route] = [...table.routes];
  assert.equal(route?.serviceName, 'web');
  assert.deepEqual(route?.endpoints, []);
  assert.deepEqual(table.collisions, []);
  assert.equal(buildRoutingTable([svc('web', 'a', '1', { status: ServiceStatus.TOMBSTONE })]).routes.length, 0);
});

test('a held port never takes a port an ALIVE service owns', () => {
  const alive = svc('api', 'a', '1');
  const table = buildRoutingTable([svc('web', 'b', '2', { status: ServiceStatus.UNHEALTHY, updated: alive.updated - 10n }), alive]);
  const owners = [...table.routes].map((r) => [r.serviceName, r.endpoints.length]);
  assert.ok(owners.some(([name, n]) => name === 'api' && n === 1));
});

test('udp ports, ServicePort 0, null/empty ports and unbindable ServicePorts are not routed', () => {
  const table = buildRoutingTable([
    svc('dns', 'a', '1', { ports: [{ type: 'udp', port: 5353, servicePort: 53, ip: '10.0.0.1' }] }),
    svc('web', 'a', '2', { ports: [tcp(0, 31000), tcp(8080, 31001)] }),
    svc('none', 'a', '3', { ports: null }),
    svc('empty', 'a', '4', { ports: [] }),
    svc('bad', 'a', '5', { ports: [tcp(-1, 1), tcp(70000, 2)] }),
  ]);
  assert.deepEqual(table.routes.map((r) => r.servicePort), [8080]);
  assert.equal(route(table, 8080).serviceName, 'web');
  assert.equal(route(table, 8080).endpoints[0]?.port, 31001);
});

test('instances on several hosts become several endpoints, sorted by key, with ip and port', () => {
  const table = buildRoutingTable([
    svc('web', 'zeta', 'c1', { ports: [tcp(8000, 30003, '10.0.0.3')], updated: at(1) }),
    svc('web', 'alpha', 'c2', { ports: [tcp(8000, 30001, '10.0.0.1')], updated: at(2) }),
    svc('web', 'mid', 'c3', { ports: [tcp(8000, 30002, '')], updated: at(3) }),
  ]);
  const r = route(table, 8000);
  assert.equal(r.servicePort, 8000);
  assert.equal(r.serviceName, 'web');
  assert.deepEqual(
    r.endpoints.map((e) => [e.key, e.hostname, e.serviceId, e.ip, e.port, e.since]),
    [
      ['alpha-c2', 'alpha', 'c2', '10.0.0.1', 30001, at(2)],
      ['mid-c3', 'mid', 'c3', 'mid', 30002, at(3)], // no IP: the hostname, as Go's template
      ['zeta-c1', 'zeta', 'c1', '10.0.0.3', 30003, at(1)],
    ],
  );
});

test('one route per tcp ServicePort of a service', () => {
  const ports = [tcp(8000, 30000), tcp(8443, 30443), { type: 'udp', port: 30053, servicePort: 8053, ip: '10.0.0.1' }];
  const table = buildRoutingTable([svc('web', 'a', '1', { ports }), svc('web', 'b', '2', { ports })]);
  assert.deepEqual(table.routes.map((r) => r.servicePort), [8000, 8443]);
  assert.deepEqual(
    route(table, 8443).endpoints.map((e) => `${e.key}:${e.port}`),
    ['a-1:30443', 'b-2:30443'],
  );
});

test('a repeated (hostname, id) counts once, with its newest record', () => {
  const table = buildRoutingTable([
    svc('web', 'a', '1', { ports: [tcp(8000, 1)], updated: at(1) }),
    svc('web', 'a', '1', { ports: [tcp(8000, 2)], updated: at(2) }),
  ]);
  assert.deepEqual(
    route(table, 8000).endpoints.map((e) => e.port),
    [2],
  );
});

test('mode: tcp, http and ws in any case are kept; empty is http; unknown (smtp, grpc) is tcp, a byte pipe', () => {
  assert.equal(toProxyMode('tcp'), 'tcp');
  assert.equal(toProxyMode('ws'), 'ws');
  assert.equal(toProxyMode('http'), 'http');
  assert.equal(toProxyMode(''), 'http');
  assert.equal(toProxyMode('TCP'), 'tcp');
  assert.equal(toProxyMode('Http'), 'http');
  assert.equal(toProxyMode('WS'), 'ws');
  assert.equal(toProxyMode('smtp'), 'tcp');
  const table = buildRoutingTable([
    svc('a', 'h', '1', { proxyMode: 'tcp', ports: [tcp(1001, 1)] }),
    svc('b', 'h', '2', { proxyMode: 'ws', ports: [tcp(1002, 1)] }),
    svc('c', 'h', '3', { proxyMode: '', ports: [tcp(1003, 1)] }),
    svc('d', 'h', '4', { proxyMode: 'grpc', ports: [tcp(1004, 1)] }),
  ]);
  assert.deepEqual(
    [...table.routes].map((r) => r.mode),
    ['tcp', 'ws', 'http', 'tcp'],
  );
});

test("mode comes from the owner's newest ALIVE record, not from a newer tombstone", () => {
  const table = buildRoutingTable([
    svc('web', 'a', '1', { proxyMode: 'http', updated: at(1) }),
    svc('web', 'b', '2', { proxyMode: 'tcp', updated: at(5) }),
    svc('web', 'c', '3', { proxyMode: 'ws', updated: at(9), status: ServiceStatus.TOMBSTONE }),
  ]);
  assert.equal(route(table, 8000).mode, 'tcp');
});

test('port collision: the name with the oldest ALIVE record keeps the port, the others are reported', () => {
  const records = [
    svc('young', 'a', '1', { updated: at(10), ports: [tcp(8000, 1), tcp(9000, 2)] }),
    svc('old', 'b', '2', { updated: at(20) }),
    svc('old', 'c', '3', { updated: at(5) }), // makes `old` the oldest claim
    svc('older-but-dead', 'd', '4', { updated: at(0), status: ServiceStatus.UNHEALTHY }),
    svc('newest', 'e', '5', { updated: at(30) }),
  ];
  for (const input of [records, [...records].reverse()]) {
    const table = buildRoutingTable(input);
    const r = route(table, 8000);
    assert.equal(r.serviceName, 'old');
    assert.deepEqual(
      r.endpoints.map((e) => e.key),
      ['b-2', 'c-3'],
    );
    assert.deepEqual(table.collisions, [{ servicePort: 8000, owner: 'old', rejected: ['young', 'newest'] }]);
    // The rejected name keeps its other, uncontested ports.
    assert.equal(route(table, 9000).serviceName, 'young');
  }
});

test('port collision with equal ages is decided by name, on every host alike', () => {
  const table = buildRoutingTable([svc('beta', 'a', '1'), svc('alpha', 'b', '2')]);
  assert.equal(route(table, 8000).serviceName, 'alpha');
  assert.deepEqual(table.collisions, [{ servicePort: 8000, owner: 'alpha', rejected: ['beta'] }]);
});

test('instances whose ServicePort list differs from the oldest instance are excluded and reported', () => {
  const records = [
    svc('web', 'new', '3', { updated: at(9), ports: [tcp(8000, 3), tcp(9000, 4)] }), // extra port
    svc('web', 'old', '1', { updated: at(1), ports: [tcp(8000, 1), { type: 'udp', port: 5, servicePort: 0, ip: 'x' }] }),
    svc('web', 'mid', '2', { updated: at(5), ports: [{ type: 'udp', port: 6, servicePort: 0, ip: 'x' }, tcp(8000, 2)] }),
    svc('web', 'bare', '4', { updated: at(7), ports: [tcp(8000, 7)] }), // shorter list
  ];
  for (const input of [records, [...records].reverse()]) {
    const table = buildRoutingTable(input);
    assert.deepEqual(table.routes.map((r) => r.servicePort), [8000]);
    assert.deepEqual(
      route(table, 8000).endpoints.map((e) => e.key),
      ['mid-2', 'old-1'],
    );
    assert.deepEqual(
      table.excluded.map((x) => [x.key, x.serviceName]),
      [
        ['bare-4', 'web'],
        ['new-3', 'web'],
      ],
    );
    assert.match(table.excluded[1]?.reason ?? '', /non-matching ports: \[8000,9000\] vs \[0,8000\] of old-1/);
  }
});

test('the table is deeply frozen', () => {
  const table = buildRoutingTable([svc('web', 'a', '1'), svc('other', 'b', '2')]);
  const r = route(table, 8000);
  assert.ok(Object.isFrozen(table));
  assert.ok(Object.isFrozen(table.routes));
  assert.ok(Object.isFrozen(r));
  assert.ok(Object.isFrozen(r.endpoints));
  assert.ok(Object.isFrozen(r.endpoints[0]));
  assert.ok(Object.isFrozen(table.collisions));
  assert.ok(Object.isFrozen(table.collisions[0]));
  assert.ok(Object.isFrozen(table.collisions[0]?.rejected));
  assert.ok(Object.isFrozen(table.excluded));
  // No mutator reachable, even through a cast.
  assert.equal((table.routes as unknown as { set?: unknown }).set, undefined);
  assert.throws(() => {
    (table.routes as unknown as Record<string, unknown>)['set'] = () => undefined;
  }, TypeError);
});

test('the table is plain data: structuredClone (a post to another thread) keeps it whole', () => {
  const table = buildRoutingTable([
    svc('web', 'a', '1'),
    svc('web', 'b', '2'),
    svc('other', 'c', '3'),
    svc('db', 'd', '4', { status: ServiceStatus.UNHEALTHY, ports: [tcp(8500, 5)] }),
  ]);
  assert.ok(table.routes.length > 1);
  assert.ok(table.collisions.length > 0);
  assert.deepStrictEqual(structuredClone(table), table);
  assert.deepStrictEqual(structuredClone(buildRoutingTable([])), buildRoutingTable([]));
});

test('1,000 services × 3 instances in one build', () => {
  const records: Service[] = [];
  for (let s = 0; s < 1000; s++) {
    for (let h = 0; h < 3; h++) {
      records.push(
        svc(`svc-${s}`, `host-${h}`, `id-${s}-${h}`, {
          ports: [tcp(10000 + s, 20000 + s, `10.0.${h}.1`), { type: 'udp', port: 1, servicePort: 0, ip: 'x' }],
          updated: at(s * 3 + h),
          proxyMode: s % 2 === 0 ? 'http' : 'tcp',
        }),
      );
    }
    // A drained fourth instance that must not show.
    records.push(svc(`svc-${s}`, 'host-9', `id-${s}-9`, { ports: [tcp(10000 + s, 1)], status: ServiceStatus.DRAINING }));
  }
  const table = buildRoutingTable(records);
  assert.equal(table.routes.length, 1000);
  assert.deepEqual(table.collisions, []);
  assert.deepEqual(table.excluded, []);
  const ports = table.routes.map((r) => r.servicePort);
  assert.deepEqual(ports, [...ports].sort((a, b) => a - b));
  const r = route(table, 10777);
  assert.equal(r.serviceName, 'svc-777');
  assert.equal(r.mode, 'tcp');
  assert.deepEqual(
    r.endpoints.map((e) => `${e.key}@${e.ip}:${e.port}`),
    ['host-0-id-777-0@10.0.0.1:20777', 'host-1-id-777-1@10.0.1.1:20777', 'host-2-id-777-2@10.0.2.1:20777'],
  );
  for (const x of table.routes) assert.equal(x.endpoints.length, 3);
});
