import type { FamilyKey } from './metric-families.js';

/** A label value escaped for the text format: backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/**
 * The inside of a series' braces, `name="value",…`, escaped, in the order given. Built once per
 * frontend or backend and reused by all its series (a scrape of 1,000 services has 40,000).
 */
export function labelText(labels: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [name, value] of Object.entries(labels)) out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  return out;
}

/** `base` with one more label. */
export function withLabel(base: string, name: string, value: string): string {
  const pair = `${name}="${escapeLabelValue(value)}"`;
  return base === '' ? pair : `${base},${pair}`;
}

export interface Sample {
  /** {@link labelText} of the series ('' for none). */
  readonly labels: string;
  readonly value: number;
}

/** A histogram's series: fixed upper bounds and per-bucket (not cumulative) counts, one more for +Inf. */
export interface HistogramSample {
  readonly labels: string;
  readonly boundsSeconds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumSeconds: number;
}

/**
 * The values of one scrape, by family: filled from the sources' snapshots (plain data) and
 * then written out. Nothing is incremented anywhere else for metrics, so the hot path never
 * pays for them.
 */
export class Samples {
  private readonly values = new Map<FamilyKey, Map<string, { readonly labels: string; value: number }>>();
  private readonly histograms = new Map<FamilyKey, HistogramSample[]>();

  /**
   * Adds a series; a second one with the same labels adds to the first (two records that
   * name the same backend `ip:port` are one series, as Prometheus requires).
   */
  add(key: FamilyKey, labels: string, value: number): void {
    let series = this.values.get(key);
    if (series === undefined) {
      series = new Map();
      this.values.set(key, series);
    }
    const seen = series.get(labels);
    if (seen === undefined) series.set(labels, { labels, value });
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

  of(key: FamilyKey): Iterable<Sample> {
    return this.values.get(key)?.values() ?? [];
  }

  histogramsOf(key: FamilyKey): readonly HistogramSample[] {
    return this.histograms.get(key) ?? [];
  }
}
