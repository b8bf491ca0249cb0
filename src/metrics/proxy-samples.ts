import type { FrontendStats, ProxyStatus } from '../proxy/index.js';
import { labelText, withLabel, type Samples } from './samples.js';

const MS_PER_SECOND = 1000;
const ERROR_KINDS = { connect: 'connect', timeout: 'timeout', reset: 'reset', badRequest: 'bad_request', badResponse: 'bad_response' } as const;
const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * The proxy's families from one `LoadBalancer.describe()` (every worker thread's counters
 * summed): frontends by ServicePort, backends by `ip:port`, collisions, workers.
 * `names` remembers the service of each port so that a draining frontend (no route any more)
 * keeps its `service` label; the caller keeps it from one scrape to the next.
 */
export function addProxySamples(out: Samples, status: ProxyStatus, routingUpdates: number, nowMs: number, names: Map<number, string>): void {
  out.add('proxyRoutingUpdates', '', routingUpdates);
  const live = new Set<number>();
  for (const route of status.routes) {
    names.set(route.servicePort, route.serviceName);
    live.add(route.servicePort);
    const sp = labelText({ service: route.serviceName, port: String(route.servicePort) });
    const frontend = route.listener;
    const ejectedUntil = new Map((frontend?.endpoints ?? []).map((e) => [e.key, e.ejectedUntilMs]));
    const warming = new Set(route.warming);
    for (const e of route.endpoints) {
      const labels = withLabel(sp, 'backend', `${e.ip}:${e.port}`);
      out.add('proxyBackendUp', labels, (ejectedUntil.get(e.key) ?? 0) > nowMs ? 0 : 1);
      out.add('proxyBackendWarming', labels, warming.has(e.key) ? 1 : 0);
    }
    if (frontend !== null) addFrontend(out, sp, route.mode, frontend);
  }
  for (const f of status.draining) {
    live.add(f.port);
    addFrontend(out, labelText({ service: names.get(f.port) ?? 'unknown', port: String(f.port) }), f.mode, f);
  }
  for (const port of names.keys()) if (!live.has(port)) names.delete(port);
  for (const c of status.collisions) {
    for (const rejected of c.rejected) out.add('proxyPortCollisions', labelText({ port: String(c.servicePort), service: rejected }), 1);
  }
  for (const w of status.workers ?? []) {
    const labels = labelText({ worker: String(w.index) });
    out.add('proxyWorkerUp', labels, w.state === 'running' ? 1 : 0);
    out.add('proxyWorkerConnectionsActive', labels, w.connectionsActive);
    out.add('proxyWorkerConnections', labels, w.connectionsTotal);
    out.add('proxyWorkerRestarts', labels, w.restarts);
    out.add('proxyWorkerLostConnections', labels, w.lostConnections);
  }
}

function addFrontend(out: Samples, sp: string, mode: string, f: FrontendStats): void {
  out.add('proxyConnections', sp, f.connectionsTotal);
  out.add('proxyConnectionsActive', sp, f.connectionsActive);
  out.add('proxyConnectionsRejected', sp, f.rejectedTotal);
  out.add('proxyNoBackend', sp, f.noEndpointTotal);
  out.add('proxyRetries', sp, f.retriesTotal);
  out.add('proxyReceivedBytes', sp, f.bytesIn);
  out.add('proxySentBytes', sp, f.bytesOut);
  out.add('proxyFrontendUp', withLabel(sp, 'mode', mode), f.state === 'listening' ? 1 : 0);
  const backendOf = new Map<string, string>();
  for (const e of f.endpoints) {
    const labels = withLabel(sp, 'backend', `${e.ip}:${e.port}`);
    backendOf.set(e.key, labels);
    out.add('proxyBackendConnections', labels, e.connectionsTotal);
    out.add('proxyBackendConnectionsActive', labels, e.connectionsActive);
    out.add('proxyUpstreamConnectFailures', labels, e.connectErrors);
    out.add('proxyEjections', labels, e.ejections);
  }
  const http = f.http;
  if (http === undefined) return;
  for (const code of CODES) out.add('proxyRequests', withLabel(sp, 'code', code), http.responses[code]);
  for (const [field, kind] of Object.entries(ERROR_KINDS) as [keyof typeof ERROR_KINDS, string][]) {
    out.add('proxyRequestErrors', withLabel(sp, 'kind', kind), http.errors[field]);
  }
  const { latency } = http;
  out.addHistogram('proxyRequestDuration', {
    labels: sp,
    boundsSeconds: latency.bucketsMs.map((ms) => ms / MS_PER_SECOND),
    counts: latency.counts,
    count: latency.count,
    sumSeconds: latency.sumMs / MS_PER_SECOND,
  });
  for (const e of http.endpoints) {
    const labels = backendOf.get(e.key);
    if (labels === undefined) continue;
    out.add('proxyBackendRequests', labels, e.requests);
  }
}
