// docs/benchmarks.md holds one section per benchmark, each between its own begin and end
// markers, so one benchmark's run never erases another's table.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Replaces the text between `begin` and `end` in `path` (appending the section when absent). */
export function replaceDocsSection(path: string, begin: string, end: string, body: string): void {
  const section = [begin, body.replace(/\n*$/, ''), end].join('\n');
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  const next = start !== -1 && stop > start ? doc.slice(0, start) + section + doc.slice(stop + end.length) : `${doc.replace(/\n*$/, '')}\n\n${section}\n`;
  writeFileSync(path, next);
}
