import type { FamilyKey } from './metric-families.js';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** A histogram's series: fixed upper bounds and per-bucket (not cumulative) counts, one more for +Inf. */
export interface HistogramSample {
  readonly labels: Labels;
  readonly boundsSeconds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumSeconds: number;
}

/**
 * The values of one scrape, by family: filled from the sources' snapshots (plain data), then
 * read by the registered metrics as they are collected. No prom-client call happens anywhere
 * else, so the hot path never pays for metrics.
 */
export class Samples {
  private readonly values = new Map<FamilyKey, Map<string, { readonly labels: Labels; value: number }>>();
  private readonly histograms = new Map<FamilyKey, HistogramSample[]>();

  /**
   * Adds a series; a second one with the same labels adds to the first (two records that
   * name the same backend `ip:port` are one series, as Prometheus requires).
   */
  add(key: FamilyKey, labels: Labels, value: number): void {
    let series = this.values.get(key);
    if (series === undefined) {
      series = new Map();
      this.values.set(key, series);
    }
    const id = Object.values(labels).join('\u0000');
    const seen = series.get(id);
    if (seen === undefined) series.set(id, { labels, value });
    else seen.value += value;
  }

  addHistogram(key: FamilyKey, sample: HistogramSample): void {
    let list = this.histograms.get(key);
    if (list === undefined) {
      list = [];
      this.histograms.set(key, list);
    }
    list.push(sample);
  }

  of(key: FamilyKey): readonly Sample[] {
    const series = this.values.get(key);
    return series === undefined ? [] : [...series.values()];
  }

  histogramsOf(key: FamilyKey): readonly HistogramSample[] {
    return this.histograms.get(key) ?? [];
  }
}
