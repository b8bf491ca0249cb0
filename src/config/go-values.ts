/**
 * Parsers for environment values with the Go Sidecar's rules (kelseyhightower/envconfig on
 * Go's strconv and time packages), so the same environment means the same thing to both.
 * Each returns `{ ok: false, reason }` instead of throwing, so every bad setting can be
 * reported together.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. */
export function parseGoBool(text: string): Parsed<boolean> {
  if (TRUE.has(text)) return { ok: true, value: true };
  if (FALSE.has(text)) return { ok: true, value: false };
  return { ok: false, reason: 'expected a boolean (true/false, 1/0, t/f)' };
}

/** Go's strconv.ParseInt(s, 0, 64): decimal, 0x…, 0o…/0…, 0b…, with `_` separators after a prefix. */
export function parseGoInt(text: string): Parsed<number> {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (m === null) return { ok: false, reason: 'expected an integer' };
  const sign = m[1] === '-' ? -1 : 1;
  const body = (m[2] ?? '').replace(/_/g, '');
  let value: number;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) value = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) value = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body.startsWith('0')) value = parseInt(body.slice(1), 8);
  else value = parseInt(body, 10);
  if (!Number.isSafeInteger(value)) return { ok: false, reason: 'integer out of range' };
  return { ok: true, value: sign * value };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration (`300ms`, `1.5s`, `1h30m`, `0`), in milliseconds. */
export function parseGoDuration(text: string): Parsed<number> {
  const fail: Parsed<number> = { ok: false, reason: 'expected a duration such as 200ms, 20s, 1m30s' };
  const m = /^([+-]?)(.*)$/.exec(text);
  const body = m?.[2] ?? '';
  if (body === '0') return { ok: true, value: 0 };
  if (body === '') return fail;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    part.lastIndex = pos;
    const p = part.exec(body);
    if (p === null) return fail;
    total += Number(p[1]) * (UNIT_MS[p[2] ?? ''] ?? Number.NaN);
    pos = part.lastIndex;
  }
  if (!Number.isFinite(total)) return fail;
  return { ok: true, value: m?.[1] === '-' ? -total : total };
}

/**
 * A comma list. Unlike Go, entries are trimmed and empty entries dropped
 * (`a, b` means `a` and `b`, where Go would look up " b").
 */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Formats milliseconds the way Go prints a time.Duration (`20s`, `200ms`, `1m19s`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
