import { FAMILIES, type FamilyKey } from './metric-families.js';
import type { Samples } from './samples.js';

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the text format writes it. */
function value(v: number): string {
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

function series(name: string, labels: string, v: number): string {
  return labels === '' ? `${name} ${value(v)}\n` : `${name}{${labels}} ${value(v)}\n`;
}

/**
 * The `sidecar_` families of `keys` in the Prometheus text format (version 0.0.4): HELP and
 * TYPE, then every series. Written here rather than through prom-client's registry: its
 * generic formatting of 40,000 series (1,000 services) took most of a scrape's time on the
 * main thread (bench/metrics-scrape.ts; docs/metrics.md has the figures).
 */
export function renderFamilies(samples: Samples, keys: readonly FamilyKey[]): string {
  const parts: string[] = [];
  for (const key of keys) {
    const f = FAMILIES[key];
    parts.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    if (f.type !== 'histogram') {
      for (const s of samples.of(key)) parts.push(series(f.name, s.labels, s.value));
      continue;
    }
    for (const h of samples.histogramsOf(key)) {
      const comma = h.labels === '' ? '' : ',';
      let cumulative = 0;
      h.boundsSeconds.forEach((le, i) => {
        cumulative += h.counts[i] ?? 0;
        parts.push(`${f.name}_bucket{${h.labels}${comma}le="${le}"} ${cumulative}\n`);
      });
      cumulative += h.counts[h.boundsSeconds.length] ?? 0;
      parts.push(`${f.name}_bucket{${h.labels}${comma}le="+Inf"} ${cumulative}\n`);
      parts.push(series(`${f.name}_sum`, h.labels, h.sumSeconds), series(`${f.name}_count`, h.labels, h.count));
    }
  }
  return parts.join('');
}
