import type { FrontendStats, HttpEndpointStats, ProxyStatus } from '../proxy/index.js';

/** One endpoint of a ServicePort, with rates over the last window. */
export interface EndpointView {
  readonly key: string;
  readonly host: string;
  readonly serviceId: string;
  /** HTTP requests (http/ws mode) or new connections (tcp mode) per second over the window. */
  readonly ratePerSec: number;
  /** Median and 99th percentile of the request time over the window, ms; null with no request in it or in tcp mode. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Failures since start: connect errors, timeouts, resets, bad responses and 5xx answers. */
  readonly errors: number;
  readonly active: number;
  /** Ejected by outlier detection until this time (ms since epoch); 0 when in rotation. */
  readonly ejectedUntilMs: number;
  /** Still in slow start (gets a growing share of new work). */
  readonly warming: boolean;
}

/** One ServicePort of this host's load balancer. */
export interface PortView {
  readonly servicePort: number;
  readonly service: string;
  readonly mode: string;
  /** The listener's state (`open`, `failed`…), or `none`. */
  readonly listener: string;
  readonly bindError: string;
  readonly active: number;
  readonly ratePerSec: number;
  /** Other services that claim this port and are not routed on it. */
  readonly rejected: readonly string[];
  readonly endpoints: readonly EndpointView[];
}

export interface ProxyView {
  readonly bindIp: string;
  /** Length of the window the rates and percentiles cover, ms. */
  readonly windowMs: number;
  readonly ports: readonly PortView[];
}

/** What one snapshot holds per counter key (`<port>` or `<port>/<endpoint>`). */
interface Sample {
  readonly count: number;
  readonly buckets: readonly number[];
}

/** Default window the rates and percentiles cover (5 s): live, yet steady enough to read. */
export const DEFAULT_PROXY_WINDOW_MS = 5000;

/**
 * Turns the load balancer's cumulative counters (`/api/proxy.json`) into what the UI shows:
 * rates and latency percentiles over the last window, from the difference with the oldest
 * snapshot kept in the window (at most one per `add`, so memory is bounded by the window
 * divided by the period, times the endpoints).
 */
export class ProxyRates {
  private readonly history: Array<{ readonly atMs: number; readonly samples: Map<string, Sample> }> = [];

  constructor(private readonly windowMs = DEFAULT_PROXY_WINDOW_MS) {}

  add(status: ProxyStatus, nowMs: number): ProxyView {
    const samples = new Map<string, Sample>();
    const collisions = new Map(status.collisions.map((c) => [c.servicePort, c.rejected]));
    while (this.history.length > 1 && nowMs - (this.history[1]?.atMs ?? nowMs) >= this.windowMs) this.history.shift();
    const base = this.history[0];
    const elapsedMs = base === undefined ? 0 : nowMs - base.atMs;
    const ports = status.routes.map((route): PortView => {
      const listener = route.listener;
      const http = httpEndpoints(listener);
      const warming = new Set(route.warming);
      const portCount = listener === null ? 0 : (listener.http?.requests ?? 0) + (route.mode === 'tcp' ? listener.connectionsTotal : 0);
      samples.set(String(route.servicePort), { count: portCount, buckets: [] });
      const endpoints = route.endpoints.map((e): EndpointView => {
        const conn = listener?.endpoints.find((s) => s.key === e.key);
        const h = http.get(e.key);
        const count = route.mode === 'tcp' ? (conn?.connectionsTotal ?? 0) : (h?.requests ?? 0);
        const buckets = h?.latency.counts ?? [];
        const key = `${route.servicePort}/${e.key}`;
        samples.set(key, { count, buckets });
        const before = base?.samples.get(key);
        const window = before === undefined ? null : diff(buckets, before.buckets);
        const bounds = h?.latency.bucketsMs ?? [];
        const httpErrors = h === undefined ? 0 : h.errors.connect + h.errors.timeout + h.errors.reset + h.errors.badResponse + h.responses['5xx'];
        return {
          key: e.key,
          host: e.hostname,
          serviceId: e.serviceId,
          ratePerSec: rate(count, before?.count, elapsedMs),
          p50Ms: window === null ? null : quantile(window, bounds, 0.5),
          p99Ms: window === null ? null : quantile(window, bounds, 0.99),
          errors: route.mode === 'tcp' ? (conn?.connectErrors ?? 0) : httpErrors,
          active: conn?.connectionsActive ?? 0,
          ejectedUntilMs: conn?.ejectedUntilMs ?? 0,
          warming: warming.has(e.key),
        };
      });
      return {
        servicePort: route.servicePort,
        service: route.serviceName,
        mode: route.mode,
        listener: listener?.state ?? 'none',
        bindError: listener?.bindError?.message ?? '',
        active: listener?.connectionsActive ?? 0,
        ratePerSec: rate(portCount, base?.samples.get(String(route.servicePort))?.count, elapsedMs),
        rejected: collisions.get(route.servicePort) ?? [],
        endpoints,
      };
    });
    this.history.push({ atMs: nowMs, samples });
    return { bindIp: status.bindIp, windowMs: elapsedMs, ports };
  }
}

function httpEndpoints(listener: FrontendStats | null): Map<string, HttpEndpointStats> {
  return new Map((listener?.http?.endpoints ?? []).map((e) => [e.key, e]));
}

function rate(now: number, before: number | undefined, elapsedMs: number): number {
  if (before === undefined || elapsedMs <= 0) return 0;
  return Math.round((Math.max(0, now - before) * 10_000) / elapsedMs) / 10;
}

function diff(now: readonly number[], before: readonly number[]): number[] {
  return now.map((n, i) => Math.max(0, n - (before[i] ?? 0)));
}

/**
 * The `q` quantile of a bucketed histogram (`counts` has one entry per bound plus +Inf), by
 * linear interpolation inside the bucket, as Prometheus's `histogram_quantile` does; in the
 * +Inf bucket it answers the highest bound. Null when the histogram is empty.
 */
export function quantile(counts: readonly number[], boundsMs: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      const upper = boundsMs[i];
      if (upper === undefined) return boundsMs[boundsMs.length - 1] ?? null;
      const lower = i === 0 ? 0 : (boundsMs[i - 1] ?? 0);
      return Math.round((lower + ((upper - lower) * (rank - seen)) / c) * 100) / 100;
    }
    seen += c;
  }
  return boundsMs[boundsMs.length - 1] ?? null;
}
