import { Registry, collectDefaultMetrics } from 'prom-client';
import { FAMILIES, type FamilyKey } from './metric-families.js';
import type { MetricSources } from './metric-sources.js';
import { Samples } from './samples.js';
import { renderFamilies } from './exposition.js';
import { addProxySamples } from './proxy-samples.js';
import { addCatalogSamples } from './catalog-samples.js';
import { addGossipSamples } from './gossip-samples.js';

/**
 * prom-client's gauges named `_total` (sums of the `{type}` series beside them:
 * `nodejs_active_handles` and so on), which `promtool check metrics` rejects: a `_total` name
 * is for counters. Nothing is lost: `sum(nodejs_active_handles)` is the same number.
 */
const DROPPED_RUNTIME_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** prom-client's default runtime metrics (`process_*`, `nodejs_*`) on `registry`, less {@link DROPPED_RUNTIME_METRICS}. */
export function addRuntimeMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_RUNTIME_METRICS) registry.removeSingleMetric(name);
}

/** The content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `/metrics`: prom-client's registry with its default runtime metrics (`process_*`,
 * `nodejs_*`: event-loop delay, heap, GC, handles), then every `sidecar_` family of
 * {@link FAMILIES}. Nothing is incremented for metrics: a scrape gathers the sources' plain
 * counters (one `LoadBalancer.describe()` for every worker thread) and writes them out.
 */
export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly keys: readonly FamilyKey[];
  private readonly portNames = new Map<number, string>();

  constructor(private readonly sources: MetricSources) {
    addRuntimeMetrics(this.registry);
    // A source that is absent (--no-proxy, no cluster) has no families.
    const absent = [sources.proxy === undefined ? 'proxy' : '', sources.gossip === undefined ? 'gossip' : '', sources.replication === undefined ? 'replication' : ''].filter((p) => p !== '');
    this.keys = (Object.keys(FAMILIES) as FamilyKey[]).filter((key) => !absent.some((prefix) => key.startsWith(prefix)));
  }

  /** One scrape: the text exposition of every metric. */
  async scrape(): Promise<string> {
    const samples = await this.gather();
    return (await this.registry.metrics()) + renderFamilies(samples, this.keys);
  }

  /** Copies every source's counters (the proxy's from all its threads) into one Samples. */
  async gather(): Promise<Samples> {
    const out = new Samples();
    const { proxy, gossip } = this.sources;
    if (proxy !== undefined) addProxySamples(out, await proxy.describe(), proxy.routingUpdates, this.sources.nowMs(), this.portNames);
    addCatalogSamples(out, this.sources);
    if (gossip !== undefined) addGossipSamples(out, gossip);
    return out;
  }
}
