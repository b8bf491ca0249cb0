import type { FrontendStats, FrontendState } from '../frontend-set.js';

/*
 * Sums the counters that several worker threads report for the same frontends into one
 * view, as `/api/proxy.json` shows them. The stats are plain data trees of counters, so one
 * rule per kind of field does it:
 * - numbers add up, except `port` (the same in every thread) and `ejectedUntilMs` (the latest wins);
 * - `listening` is true if any thread listens; `state` is the most telling one (a failed bind first);
 * - arrays of numbers add up element by element (latency buckets), except `bucketsMs` (the bounds);
 * - arrays of objects with a `key` (endpoints) are merged by key, in order of first appearance;
 * - other strings and objects (`mode`, `key`, `ip`, `bindError`) are taken from the first thread that has them.
 */

/** Worst first: what an operator most needs to see when the threads disagree. */
const STATE_RANK: readonly FrontendState[] = ['failed', 'binding', 'listening', 'draining', 'closed'];
const KEPT_NUMBERS = new Set(['port']);
const LATEST_NUMBERS = new Set(['ejectedUntilMs']);
const KEPT_ARRAYS = new Set(['bucketsMs']);

type Tree = { readonly [key: string]: unknown };

/** The frontends of all threads, one per port (ascending), counters summed. */
export function mergeFrontendStats(perThread: readonly (readonly FrontendStats[])[]): FrontendStats[] {
  const byPort = new Map<number, Tree>();
  for (const frontends of perThread) {
    for (const f of frontends) {
      const seen = byPort.get(f.port);
      byPort.set(f.port, seen === undefined ? (f as unknown as Tree) : mergeTree(seen, f as unknown as Tree));
    }
  }
  return [...byPort.values()].map((t) => t as unknown as FrontendStats).sort((a, b) => a.port - b.port);
}

function mergeTree(a: Tree, b: Tree): Tree {
  const out: Record<string, unknown> = { ...a };
  for (const [key, bv] of Object.entries(b)) {
    const av = a[key];
    out[key] = av === undefined ? bv : mergeField(key, av, bv);
  }
  return out;
}

function mergeField(key: string, a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') {
    if (KEPT_NUMBERS.has(key)) return a;
    if (LATEST_NUMBERS.has(key)) return Math.max(a, b);
    return a + b;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a || b;
  if (key === 'state' && typeof a === 'string' && typeof b === 'string') {
    return STATE_RANK.indexOf(b as FrontendState) < STATE_RANK.indexOf(a as FrontendState) ? b : a;
  }
  if (Array.isArray(a) && Array.isArray(b)) return KEPT_ARRAYS.has(key) ? a : mergeArrays(a, b);
  if (isTree(a) && isTree(b) && key !== 'bindError') return mergeTree(a, b);
  return a;
}

function mergeArrays(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  if (a.every((x) => typeof x === 'number') && b.every((x) => typeof x === 'number')) {
    const len = Math.max(a.length, b.length);
    return Array.from({ length: len }, (_, i) => ((a[i] as number | undefined) ?? 0) + ((b[i] as number | undefined) ?? 0));
  }
  const byKey = new Map<unknown, unknown>();
  for (const item of [...a, ...b]) {
    const key = isTree(item) ? item['key'] : undefined;
    if (key === undefined) continue;
    const seen = byKey.get(key);
    byKey.set(key, seen === undefined ? item : mergeTree(seen as Tree, item as Tree));
  }
  return [...byKey.values()];
}

function isTree(x: unknown): x is Tree {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
