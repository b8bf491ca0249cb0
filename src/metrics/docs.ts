import { Registry } from 'prom-client';
import { addRuntimeMetrics } from './sidecar-metrics.js';
import { FAMILIES, type MetricFamily } from './metric-families.js';

const GROUPS: ReadonlyArray<{ readonly group: MetricFamily['group']; readonly title: string; readonly source: string }> = [
  {
    group: 'proxy',
    title: 'Proxy (the load balancer)',
    source:
      'From `LoadBalancer.describe()`, which asks every proxy worker thread for its counters and sums them (the same data as `/api/proxy.json`). Absent with `--no-proxy`. HTTP-only families appear once a port served HTTP.',
  },
  {
    group: 'catalog',
    title: 'Catalog, health checks, listeners, replication',
    source: 'From the catalog (`ServicesState`), `HealthMonitor`, the URL listeners and the replication delegate.',
  },
  {
    group: 'gossip',
    title: 'Gossip (SWIM membership)',
    source: 'From `Memberlist.stats()`, its member table and its Lifeguard health score. Absent when the agent runs without a cluster.',
  },
];

const QUERIES: ReadonlyArray<readonly [string, string]> = [
  ['Request rate per service (HTTP responses per second)', 'sum by (service) (rate(sidecar_proxy_requests_total[5m]))'],
  ['Share of 5xx answers per service', 'sum by (service) (rate(sidecar_proxy_requests_total{code="5xx"}[5m])) / sum by (service) (rate(sidecar_proxy_requests_total[5m]))'],
  ['p99 latency per service and port', 'histogram_quantile(0.99, sum by (service, port, le) (rate(sidecar_proxy_request_duration_seconds_bucket[5m])))'],
  ['Backends ejected now', 'sidecar_proxy_backend_up == 0'],
  ['Ejections in the last hour', 'increase(sidecar_proxy_ejections_total[1h]) > 0'],
  ['Members not alive, as each agent sees them', 'sum by (instance, state) (sidecar_gossip_members{state!="alive"})'],
  ['Unhealthy instances in the catalog', 'sidecar_catalog_services{status="unhealthy"}'],
  ['Event-loop delay p99 (runtime)', 'nodejs_eventloop_lag_p99_seconds'],
];

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Renders docs/metrics.md from {@link FAMILIES} and prom-client's default metrics (kept in step by a test). */
export function renderMetricsDoc(): string {
  const lines = [
    '# Metrics',
    '',
    '<!-- Generated from src/metrics/metric-families.ts by `npm run gen:docs`; do not edit by hand. -->',
    '',
    '`GET /metrics` on the API port (7777 by default) answers in the Prometheus text format',
    '(`text/plain; version=0.0.4`). It is always on and needs no token (it is read-only, like',
    '`/api/state.json`). Scrape every agent: each one reports its own proxy, its own view of the',
    'cluster and its own runtime.',
    '',
    '## How it is measured',
    '',
    'The agent uses `prom-client` (the Node ecosystem\'s library) for its standard runtime',
    'metrics (`process_*`, `nodejs_*`). The hot path pays nothing for metrics, because nothing is',
    'incremented for them: the counters stay plain number fields where they already were (the',
    'proxy\'s forwarders in each worker thread, the membership engine, the catalog, health,',
    'listeners, replication), and a scrape copies them out. For the proxy that is one',
    '`LoadBalancer.describe()`, which asks every worker thread for its counters and sums them;',
    'the request duration histogram is the proxy\'s own fixed buckets (1 ms to 5 s), converted',
    'to seconds. Forwarding costs nothing more than the counters it always kept.',
    '',
    'The `sidecar_` families are written out by the agent itself (`src/metrics/exposition.ts`),',
    'not through prom-client\'s metric objects: a scrape runs on the main thread, which also runs',
    'gossip, and with 1,000 services (about 40 series each, 3.2 MiB) going through prom-client\'s',
    'counters and its generic formatting made a scrape take 441 ms (p50); written directly it',
    'takes 99 ms (p99 155 ms), of which about half is gathering the worker threads\' counters',
    '(`/api/proxy.json`, the same gathering, takes 47 ms). Measured with `npm run bench:metrics`',
    '(a real agent, 2 proxy worker threads). At 10 services a scrape takes a few milliseconds.',
    '',
    'Labels: `service` (service name), `port` (ServicePort), `backend` (an instance\'s `ip:port`),',
    'each bounded by the number of instances; the others take a few fixed values. Counters',
    'start at 0 when the agent starts; a worker thread that is replaced starts its counters',
    'again (Prometheus\' `rate()` handles such resets).',
    '',
  ];
  for (const g of GROUPS) {
    lines.push(`## ${g.title}`, '', g.source, '', '| Metric | Type | Labels | Meaning |', '|---|---|---|---|');
    for (const f of Object.values(FAMILIES) as MetricFamily[]) {
      if (f.group !== g.group) continue;
      const labels = f.labels.map((l) => `\`${l}\``).join(', ');
      lines.push(`| \`${f.name}\` | ${f.type} | ${labels} | ${escapeCell(f.help)} |`);
    }
    lines.push('');
  }
  lines.push(
    '## Runtime (prom-client\'s default metrics)',
    '',
    'Event-loop delay, heap, RSS, GC, open handles and file descriptors of the agent\'s process.',
    'prom-client\'s `nodejs_active_{handles,requests,resources}_total` gauges are left out:',
    '`promtool check metrics` rejects `_total` on a gauge, and `sum(nodejs_active_handles)` gives the same number.',
    '',
    '| Metric | Type | Meaning |',
    '|---|---|---|',
  );
  const runtime = new Registry();
  addRuntimeMetrics(runtime);
  for (const m of runtime.getMetricsAsArray().slice().sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`| \`${m.name}\` | ${String(m.type)} | ${escapeCell(m.help)} |`);
  }
  lines.push('', '## Example queries (PromQL)', '');
  for (const [what, query] of QUERIES) lines.push(`- ${what}:`, '  ```promql', `  ${query}`, '  ```');
  lines.push('');
  return lines.join('\n');
}
