import { Histogram, type MetricType, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import type { HistogramSample } from './samples.js';

interface HistogramValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * A prom-client Histogram whose series are copied from fixed-bucket counts gathered
 * elsewhere (the proxy's worker threads count into their own buckets; nothing here observes
 * a value). prom-client has no call to set a bucket, so the exposition hooks are overridden.
 */
export class SnapshotHistogram extends Histogram<string> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly read: () => readonly HistogramSample[],
  ) {
    super({ name, help, labelNames: [...labelNames], registers: [] });
    this.family = { name, help };
  }

  private readonly family: { readonly name: string; readonly help: string };

  /** What the registry prints (it prefers this to get()). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const { name, help } = this.family;
    const values: HistogramValue[] = [];
    for (const h of this.read()) {
      let cumulative = 0;
      h.boundsSeconds.forEach((le, i) => {
        cumulative += h.counts[i] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le }, value: cumulative });
      });
      cumulative += h.counts[h.boundsSeconds.length] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${name}_sum`, labels: { ...h.labels }, value: h.sumSeconds });
      values.push({ metricName: `${name}_count`, labels: { ...h.labels }, value: h.count });
    }
    return { name, help, type: 'histogram' as unknown as MetricType, values, aggregator: 'sum', collect: () => undefined };
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return this.getForPromString();
  }
}
