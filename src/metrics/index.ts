/**
 * metrics: `/metrics` in the Prometheus text format (prom-client, with its runtime metrics).
 * The counters live where they are incremented; this folder gathers them at scrape time
 * from the sources the daemon wires in (MetricSources), and names them (FAMILIES).
 */
export { SidecarMetrics, METRICS_CONTENT_TYPE } from './sidecar-metrics.js';
export { type MetricSources } from './metric-sources.js';
export { FAMILIES, type MetricFamily, type FamilyKey } from './metric-families.js';
export { renderMetricsDoc } from './docs.js';
