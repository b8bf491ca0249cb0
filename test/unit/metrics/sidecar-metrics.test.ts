import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { FAMILIES, SidecarMetrics, renderMetricsDoc, type MetricSources } from '../../../src/metrics/index.js';
import type { FrontendStats, HttpEndpointStats, ProxyStatus } from '../../../src/proxy/index.js';
import type { MembershipStatsSnapshot, Member } from '../../../src/membership/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

const NOW_MS = 1_700_000_000_000;

function httpEndpoint(key: string, over: Partial<HttpEndpointStats> = {}): HttpEndpointStats {
  return {
    key,
    requests: 7,
    responses: { '1xx': 0, '2xx': 7, '3xx': 0, '4xx': 0, '5xx': 0 },
    errors: { connect: 0, timeout: 0, reset: 0, badRequest: 0, badResponse: 0 },
    bytesIn: 0,
    bytesOut: 0,
    latency: { bucketsMs: [1, 10], counts: [0, 0, 0], count: 0, sumMs: 0 },
    idleConnections: 0,
    ejections: 0,
    ejectedUntilMs: 0,
    ...over,
  };
}

function frontend(port: number, mode: string, over: Partial<FrontendStats> = {}): FrontendStats {
  return {
    port,
    mode,
    state: 'listening',
    listening: true,
    connectionsTotal: 12,
    connectionsActive: 2,
    rejectedTotal: 1,
    noEndpointTotal: 3,
    connectErrors: 4,
    retriesTotal: 4,
    bytesIn: 1000,
    bytesOut: 5000,
    ejections: 1,
    endpoints: [
      { key: 'h1-a', ip: '10.0.0.1', port: 8080, connectionsTotal: 5, connectionsActive: 1, connectErrors: 4, bytesIn: 1, bytesOut: 2, ejections: 1, ejectedUntilMs: NOW_MS + 5000 },
      { key: 'h2-b', ip: '10.0.0.2', port: 8080, connectionsTotal: 6, connectionsActive: 1, connectErrors: 0, bytesIn: 1, bytesOut: 2, ejections: 0, ejectedUntilMs: 0 },
    ],
    ...over,
  };
}

const HTTP_FRONTEND = frontend(10100, 'http', {
  http: {
    requests: 20,
    responses: { '1xx': 0, '2xx': 15, '3xx': 0, '4xx': 2, '5xx': 3 },
    errors: { connect: 4, timeout: 1, reset: 0, badRequest: 2, badResponse: 0 },
    bytesIn: 1000,
    bytesOut: 5000,
    // 1 ms and 10 ms bounds: 5 requests ≤ 1 ms, 10 in (1, 10], 5 slower.
    latency: { bucketsMs: [1, 10], counts: [5, 10, 5], count: 20, sumMs: 250 },
    upstreamConnections: 2,
    idleUpstreamConnections: 0,
    ejections: 1,
    endpoints: [httpEndpoint('h1-a', { ejections: 1, ejectedUntilMs: NOW_MS + 5000 }), httpEndpoint('h2-b')],
  },
});

const STATUS: ProxyStatus = {
  bindIp: '127.0.0.1',
  routes: [
    {
      servicePort: 10100,
      serviceName: 'web',
      mode: 'http',
      endpoints: [
        { key: 'h1-a', hostname: 'h1', serviceId: 'a', ip: '10.0.0.1', port: 8080 },
        { key: 'h2-b', hostname: 'h2', serviceId: 'b', ip: '10.0.0.2', port: 8080 },
      ],
      warming: ['h2-b'],
      listener: HTTP_FRONTEND,
    },
    { servicePort: 10200, serviceName: 'db', mode: 'tcp', endpoints: [], warming: [], listener: frontend(10200, 'tcp', { state: 'failed', listening: false, endpoints: [] }) },
  ],
  draining: [],
  collisions: [{ servicePort: 10100, owner: 'web', rejected: ['web2'] }],
  excluded: [],
  connectionBudget: null,
  workers: [
    { index: 0, state: 'running', connectionsActive: 1, connectionsTotal: 9, requests: 11, restarts: 0, lostConnections: 0 },
    { index: 1, state: 'unresponsive', connectionsActive: 1, connectionsTotal: 3, requests: 9, restarts: 2, lostConnections: 5 },
  ],
};

const GOSSIP_STATS: MembershipStatsSnapshot = {
  packetsSent: 10,
  bytesSent: 1000,
  packetsReceived: 11,
  bytesReceived: 1100,
  dropped: { badCrc: 2 },
  probes: 5,
  probesFailed: 1,
  indirectProbes: 1,
  tcpFallbackProbes: 1,
  stallGraces: 0,
  suspicionsRaised: 1,
  pushPulls: 3,
  pushPullsFailed: 1,
  userMessagesReceived: 4,
  userMessagesSentReliably: 0,
  messagesSent: { ack: 5, ping: 5, user: 2 },
  messagesReceived: { ack: 4, ping: 5 },
  refutations: 1,
  broadcastQueue: { members: 2, users: 7 },
};

function member(name: string, state: Member['state']): Member {
  return { name, addr: new Uint8Array([127, 0, 0, 1]), port: 7946, meta: new Uint8Array(0), vsn: new Uint8Array(0), incarnation: 1, state, stateChangeMs: 0 };
}

function sources(proxy: ProxyStatus = STATUS): MetricSources {
  const { state } = makeState('2023-11-14T10:21:40Z', 'chaucer');
  state.addServiceEntry(makeService());
  state.addServiceEntry(makeService({ id: 'u1', hostname: 'other', status: ServiceStatus.UNHEALTHY }));
  state.addServiceEntry(makeService({ id: 'd1', status: ServiceStatus.DRAINING }));
  // Older than the stale cutoff: dropped.
  state.addServiceEntry(makeService({ id: 'old', hostname: 'other', updated: ts('2020-01-01T00:00:00Z') }));
  return {
    state,
    proxy: { describe: async () => proxy, routingUpdates: 4 },
    gossip: {
      stats: () => GOSSIP_STATS,
      members: () => [member('chaucer', 'alive'), member('other', 'alive'), member('gone', 'dead'), member('away', 'left')],
      healthScore: 2,
      localIncarnation: 3,
    },
    health: { checkCounts: () => [{ type: 'HttpGet', outcome: 'healthy', count: 9 }, { type: 'HttpGet', outcome: 'timeout', count: 1 }] },
    listeners: { list: () => [{ name: 'hook', url: 'http://x/', managed: false, posted: 3, failed: 1, dropped: 0 }] },
    replication: () => ({
      replicator: { broadcasts: 6, relayed: 2, hostsExpired: 1, broadcastFailures: 0 },
      delegate: { messagesMerged: 8, messagesMalformed: 1, statesMerged: 2, statesMalformed: 0, stateRecordsSkipped: 0 },
    }),
    nowMs: () => NOW_MS,
  };
}

/** `name{labels} value` lines of the exposition, as a map. */
function lines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

test('the proxy families come from describe(): frontends, backends, histogram in seconds, collisions, workers', async () => {
  const m = lines(await new SidecarMetrics(sources()).scrape());
  const sp = 'service="web",port="10100"';
  assert.equal(m.get(`sidecar_proxy_connections_total{${sp}}`), '12');
  assert.equal(m.get(`sidecar_proxy_connections_active{${sp}}`), '2');
  assert.equal(m.get(`sidecar_proxy_no_backend_total{${sp}}`), '3');
  assert.equal(m.get(`sidecar_proxy_retries_total{${sp}}`), '4');
  assert.equal(m.get(`sidecar_proxy_received_bytes_total{${sp}}`), '1000');
  assert.equal(m.get(`sidecar_proxy_sent_bytes_total{${sp}}`), '5000');
  assert.equal(m.get(`sidecar_proxy_requests_total{${sp},code="5xx"}`), '3');
  assert.equal(m.get(`sidecar_proxy_request_errors_total{${sp},kind="bad_request"}`), '2');
  // Buckets are cumulative and in seconds.
  assert.equal(m.get(`sidecar_proxy_request_duration_seconds_bucket{${sp},le="0.001"}`), '5');
  assert.equal(m.get(`sidecar_proxy_request_duration_seconds_bucket{${sp},le="0.01"}`), '15');
  assert.equal(m.get(`sidecar_proxy_request_duration_seconds_bucket{${sp},le="+Inf"}`), '20');
  assert.equal(m.get(`sidecar_proxy_request_duration_seconds_sum{${sp}}`), '0.25');
  assert.equal(m.get(`sidecar_proxy_request_duration_seconds_count{${sp}}`), '20');
  const a = `${sp},backend="10.0.0.1:8080"`;
  const b = `${sp},backend="10.0.0.2:8080"`;
  assert.equal(m.get(`sidecar_proxy_upstream_connect_failures_total{${a}}`), '4');
  assert.equal(m.get(`sidecar_proxy_backend_connections_total{${b}}`), '6');
  assert.equal(m.get(`sidecar_proxy_backend_requests_total{${b}}`), '7');
  assert.equal(m.get(`sidecar_proxy_ejections_total{${a}}`), '1');
  assert.equal(m.get(`sidecar_proxy_backend_up{${a}}`), '0', 'ejected until after now');
  assert.equal(m.get(`sidecar_proxy_backend_up{${b}}`), '1');
  assert.equal(m.get(`sidecar_proxy_backend_warming{${b}}`), '1');
  assert.equal(m.get(`sidecar_proxy_backend_warming{${a}}`), '0');
  assert.equal(m.get(`sidecar_proxy_frontend_up{${sp},mode="http"}`), '1');
  assert.equal(m.get('sidecar_proxy_frontend_up{service="db",port="10200",mode="tcp"}'), '0', 'a failed bind');
  assert.equal(m.get('sidecar_proxy_requests_total{service="db",port="10200",code="2xx"}'), undefined, 'no HTTP families for a TCP port');
  assert.equal(m.get('sidecar_proxy_port_collisions{port="10100",service="web2"}'), '1');
  assert.equal(m.get('sidecar_proxy_routing_updates_total'), '4');
  assert.equal(m.get('sidecar_proxy_worker_up{worker="1"}'), '0');
  assert.equal(m.get('sidecar_proxy_worker_restarts_total{worker="1"}'), '2');
  assert.equal(m.get('sidecar_proxy_worker_lost_connections_total{worker="1"}'), '5');
  assert.equal(m.get('sidecar_proxy_worker_connections_total{worker="0"}'), '9');
});

test('a TCP-mode backend ejected by outlier detection: its ejections counted, backend_up 0', async () => {
  const endpoints = [
    { key: 'h1-a', hostname: 'h1', serviceId: 'a', ip: '10.0.0.1', port: 8080 },
    { key: 'h2-b', hostname: 'h2', serviceId: 'b', ip: '10.0.0.2', port: 8080 },
  ];
  const status: ProxyStatus = { ...STATUS, routes: [{ servicePort: 10300, serviceName: 'kv', mode: 'tcp', endpoints, warming: [], listener: frontend(10300, 'tcp') }], collisions: [] };
  const m = lines(await new SidecarMetrics(sources(status)).scrape());
  const a = 'service="kv",port="10300",backend="10.0.0.1:8080"';
  const b = 'service="kv",port="10300",backend="10.0.0.2:8080"';
  assert.equal(m.get(`sidecar_proxy_ejections_total{${a}}`), '1');
  assert.equal(m.get(`sidecar_proxy_backend_up{${a}}`), '0', 'ejected until after now');
  assert.equal(m.get(`sidecar_proxy_backend_up{${b}}`), '1');
});

test('a draining frontend keeps the service name it had; a removed route leaves no series', async () => {
  let status: ProxyStatus = STATUS;
  const metrics = new SidecarMetrics({ ...sources(), proxy: { describe: async () => status, routingUpdates: 5 } });
  await metrics.scrape();
  status = { ...STATUS, routes: [], draining: [HTTP_FRONTEND] };
  let m = lines(await metrics.scrape());
  assert.equal(m.get('sidecar_proxy_connections_total{service="web",port="10100"}'), '12');
  assert.equal(m.get('sidecar_proxy_frontend_up{service="web",port="10100",mode="http"}'), '1');
  status = { ...STATUS, routes: [], draining: [], collisions: [], workers: [] };
  m = lines(await metrics.scrape());
  assert.deepEqual([...m.keys()].filter((k) => k.startsWith('sidecar_proxy_') && k !== 'sidecar_proxy_routing_updates_total'), []);
});

test('catalog, health, listener and replication families', async () => {
  const m = lines(await new SidecarMetrics(sources()).scrape());
  assert.equal(m.get('sidecar_catalog_services{status="alive"}'), '1');
  assert.equal(m.get('sidecar_catalog_services{status="unhealthy"}'), '1');
  assert.equal(m.get('sidecar_catalog_services{status="draining"}'), '1');
  assert.equal(m.get('sidecar_catalog_services{status="tombstone"}'), '0');
  assert.equal(m.get('sidecar_catalog_local_services{status="alive"}'), '1');
  assert.equal(m.get('sidecar_catalog_local_services{status="unhealthy"}'), '0', 'the unhealthy one is on another host');
  assert.equal(m.get('sidecar_catalog_hosts'), '2');
  assert.equal(m.get('sidecar_catalog_state_changes_total{status="alive"}'), '1');
  assert.equal(m.get('sidecar_catalog_state_changes_total{status="draining"}'), '1');
  assert.equal(m.get('sidecar_catalog_stale_records_dropped_total'), '1');
  assert.equal(m.get('sidecar_catalog_last_change_timestamp_seconds'), String(Date.parse('2023-11-14T10:21:34.5Z') / 1000));
  assert.equal(m.get('sidecar_health_checks_total{type="HttpGet",outcome="timeout"}'), '1');
  assert.equal(m.get('sidecar_listener_posts_total{listener="hook",outcome="failed"}'), '1');
  assert.equal(m.get('sidecar_replication_broadcasts_total'), '6');
  assert.equal(m.get('sidecar_replication_messages_received_total{outcome="malformed"}'), '1');
});

test('gossip families: members by state, messages by type, drops, probes, queue, health score', async () => {
  const m = lines(await new SidecarMetrics(sources()).scrape());
  assert.equal(m.get('sidecar_gossip_members{state="alive"}'), '2');
  assert.equal(m.get('sidecar_gossip_members{state="suspect"}'), '0');
  assert.equal(m.get('sidecar_gossip_members{state="dead"}'), '1');
  assert.equal(m.get('sidecar_gossip_members{state="left"}'), '1');
  assert.equal(m.get('sidecar_gossip_messages_sent_total{type="user"}'), '2');
  assert.equal(m.get('sidecar_gossip_messages_received_total{type="ping"}'), '5');
  assert.equal(m.get('sidecar_gossip_dropped_total{reason="badCrc"}'), '2');
  assert.equal(m.get('sidecar_gossip_push_pulls_total{outcome="ok"}'), '2');
  assert.equal(m.get('sidecar_gossip_push_pulls_total{outcome="failed"}'), '1');
  assert.equal(m.get('sidecar_gossip_refutations_total'), '1');
  assert.equal(m.get('sidecar_gossip_broadcast_queue{kind="users"}'), '7');
  assert.equal(m.get('sidecar_gossip_health_score'), '2');
  assert.equal(m.get('sidecar_gossip_incarnation'), '3');
});

test('every family of the table has a series when every source reports, and the runtime metrics are there', async () => {
  const text = await new SidecarMetrics(sources()).scrape();
  const names = new Set([...lines(text).keys()].map((k) => k.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '')));
  const missing = Object.values(FAMILIES)
    .map((f) => f.name)
    .filter((n) => !names.has(n));
  assert.deepEqual(missing, []);
  for (const runtime of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_active_handles', 'process_open_fds']) {
    assert.ok(text.includes(`# TYPE ${runtime} `), runtime);
  }
  assert.ok(!text.includes('nodejs_active_handles_total'), 'the gauge named _total is left out (promtool rejects it)');
});

test('family names follow the Prometheus conventions', () => {
  for (const f of Object.values(FAMILIES)) {
    assert.match(f.name, /^sidecar_[a-z_]+$/, f.name);
    if (f.type === 'counter') assert.match(f.name, /_total$/, f.name);
    else assert.doesNotMatch(f.name, /_total$/, f.name);
    if (/bytes/.test(f.name)) assert.match(f.name, /_bytes(_total)?$/, f.name);
    if (f.type === 'histogram') assert.match(f.name, /_seconds$/, f.name);
  }
});

test('without a proxy or a cluster, /metrics still answers with the catalog and runtime', async () => {
  const { proxy: _proxy, gossip: _gossip, ...rest } = sources();
  const m = lines(await new SidecarMetrics(rest).scrape());
  assert.equal(m.get('sidecar_catalog_hosts'), '2');
  assert.equal([...m.keys()].some((k) => k.startsWith('sidecar_proxy_') || k.startsWith('sidecar_gossip_')), false);
});

test('docs/metrics.md is generated from the family table (no drift)', () => {
  assert.equal(readFileSync('docs/metrics.md', 'utf8'), renderMetricsDoc(), 'run `npm run gen:docs`');
});

test('label values are escaped as the text format wants (backslash, quote, line feed)', async () => {
  const odd = 'we"b\\x\ny';
  const status: ProxyStatus = { ...STATUS, routes: [{ ...STATUS.routes[0]!, serviceName: odd }], collisions: [], workers: [] };
  const text = await new SidecarMetrics(sources(status)).scrape();
  assert.ok(text.includes('sidecar_proxy_connections_total{service="we\\"b\\\\x\\ny",port="10100"} 12\n'), text.slice(0, 400));
});
