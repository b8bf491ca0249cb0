import { NS_PER_SECOND, type Timestamp } from '../core/index.js';
import { GO_ZERO_TIME } from '../catalog/index.js';

const MINUTE_NS = 60n * NS_PER_SECOND;
const HOUR_NS = 60n * MINUTE_NS;
const DAY_NS = 24n * HOUR_NS;
const WEEK_NS = 7n * DAY_NS;

/**
 * The Go Sidecar's "time ago" strings (`output.TimeAgo`), used by the `/servers` page:
 * both times are rounded to the second (halves up), then the difference is shown in the
 * largest unit it exceeds with one decimal (`5.0 secs ago`, `1.5 days ago`, `1.4 weeks ago`).
 * One second or less, and times in the future, read `1.0 sec ago`; Go's zero time reads
 * `never`. The arithmetic is Go's (float64 `Duration.Hours()` …) so the last digit matches.
 */
export function timeAgo(when: Timestamp, ref: Timestamp): string {
  if (when === GO_ZERO_TIME) return 'never';
  const diffNs = (roundToSecond(ref) - roundToSecond(when)) * NS_PER_SECOND;
  if (diffNs > WEEK_NS) return `${formatOneDecimal(hours(diffNs) / 24 / 7)} weeks ago`;
  if (diffNs > DAY_NS) return `${formatOneDecimal(hours(diffNs) / 24)} days ago`;
  if (diffNs > HOUR_NS) return `${formatOneDecimal(hours(diffNs))} hours ago`;
  if (diffNs > MINUTE_NS) return `${formatOneDecimal(fraction(diffNs, MINUTE_NS))} mins ago`;
  if (diffNs > NS_PER_SECOND) return `${formatOneDecimal(fraction(diffNs, NS_PER_SECOND))} secs ago`;
  return '1.0 sec ago';
}

/** Whole seconds since the epoch, rounding a half second up (Go's `Time.Round`). */
function roundToSecond(ts: Timestamp): bigint {
  const shifted = ts + NS_PER_SECOND / 2n;
  const q = shifted / NS_PER_SECOND;
  return shifted % NS_PER_SECOND !== 0n && shifted < 0n ? q - 1n : q;
}

/** Go's `Duration.Hours()` etc.: whole units plus the remainder, in float64 arithmetic. */
function fraction(ns: bigint, unitNs: bigint): number {
  return Number(ns / unitNs) + Number(ns % unitNs) / Number(unitNs);
}

function hours(ns: bigint): number {
  return fraction(ns, HOUR_NS);
}

/**
 * `strconv.FormatFloat(x, 'f', 1, 64)`: correctly rounded like `toFixed(1)`, except that an
 * exact tie (x·4 an odd integer, the only ties a float64 can hold) goes to the even digit.
 */
function formatOneDecimal(x: number): string {
  const quarters = x * 4;
  if (Number.isInteger(quarters) && quarters % 2 === 1) {
    const low = Math.floor(x * 10);
    const tenths = low % 2 === 0 ? low : low + 1;
    return (tenths / 10).toFixed(1);
  }
  return x.toFixed(1);
}
