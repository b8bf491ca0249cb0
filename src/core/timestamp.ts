import { ErrorCode, SidecarError } from './errors.js';

/**
 * A point in time as nanoseconds since the Unix epoch, UTC.
 *
 * The Go Sidecar stamps records with Go `time.Time` (nanosecond precision) and compares them
 * to the nanosecond (latest `Updated` wins; repeats add 50 ns). JavaScript numbers cannot
 * hold nanoseconds since 1970 exactly, so timestamps are bigints.
 */
export type Timestamp = bigint;

export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;
/** `time.Unix(0, 0)`: the Go Sidecar's "never" for servers and state. */
export const EPOCH: Timestamp = 0n;

export function msToTimestamp(ms: number): Timestamp {
  return BigInt(Math.trunc(ms)) * NS_PER_MS;
}

export function secondsToNs(seconds: number): Timestamp {
  return BigInt(Math.round(seconds * 1e9));
}

/** Milliseconds since the epoch (sub-millisecond part dropped). */
export function timestampToMs(ts: Timestamp): number {
  return Number(floorDiv(ts, NS_PER_MS));
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/**
 * Go's RFC3339Nano: `2006-01-02T15:04:05.999999999Z`, fractional trailing zeros trimmed
 * (and the dot too when the fraction is zero), always UTC here.
 */
export function formatTimestamp(ts: Timestamp): string {
  const seconds = floorDiv(ts, NS_PER_SECOND);
  const fraction = ts - seconds * NS_PER_SECOND;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  // toISOString gives ±YYYYYY for years outside 0..9999; Go refuses to encode those.
  const base = iso.startsWith('+') || iso.startsWith('-') ? iso.slice(0, 20) : iso.slice(0, 19);
  if (fraction === 0n) return `${base}Z`;
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}.${digits}Z`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses RFC 3339 with up to nine fractional digits and any offset; throws SidecarError. */
export function parseTimestamp(text: string): Timestamp {
  const m = RFC3339.exec(text);
  if (m === null) {
    throw new SidecarError(ErrorCode.CATALOG_BAD_TIMESTAMP, `not an RFC 3339 time: ${JSON.stringify(text)}`);
  }
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const fields = [y, mo, d, h, mi, s].map((v) => Number(v)) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new SidecarError(ErrorCode.CATALOG_BAD_TIMESTAMP, `time field out of range: ${JSON.stringify(text)}`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day) {
    throw new SidecarError(ErrorCode.CATALOG_BAD_TIMESTAMP, `day out of range: ${JSON.stringify(text)}`);
  }
  let ns = BigInt(date.getTime()) * NS_PER_MS;
  if (frac !== undefined) ns += BigInt(frac.padEnd(9, '0'));
  if (sign !== undefined) {
    const offsetMinutes = Number(oh) * 60 + Number(om);
    const offsetNs = BigInt(offsetMinutes) * 60n * NS_PER_SECOND;
    ns += sign === '+' ? -offsetNs : offsetNs;
  }
  return ns;
}

/**
 * Go's `time.Time.String()` in UTC, e.g. `2023-11-14 10:21:33.1234 +0000 UTC`
 * (used for the listener cookie and the Envoy `last_check_in`).
 */
export function formatGoTimeString(ts: Timestamp): string {
  const rfc = formatTimestamp(ts);
  return `${rfc.slice(0, 10)} ${rfc.slice(11, -1)} +0000 UTC`;
}
