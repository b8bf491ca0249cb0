import { NS_PER_SECOND, type Timestamp } from '../core/index.js';

/** How long tombstones are kept; records older than this (+ {@link STALE_FUDGE_NS}) are refused. 3 h. */
export const TOMBSTONE_LIFESPAN_NS: Timestamp = 3n * 3600n * NS_PER_SECOND;
/** Non-tombstone records not refreshed within this become tombstones. 80 s. */
export const ALIVE_LIFESPAN_NS: Timestamp = 80n * NS_PER_SECOND;
/** Same for DRAINING records. 10 min. */
export const DRAINING_LIFESPAN_NS: Timestamp = 600n * NS_PER_SECOND;
/** Clock-drift allowance when refusing stale records. 1 min. */
export const STALE_FUDGE_NS: Timestamp = 60n * NS_PER_SECOND;
/** Expired records are tombstoned with `Updated` = old `Updated` + this, so newer records elsewhere still win. 1 s. */
export const EXPIRY_BUMP_NS: Timestamp = NS_PER_SECOND;
/** Each repeat of a broadcast batch adds this much to `Updated` so peers treat it as newer. 50 ns. */
export const REPEAT_BUMP_NS: Timestamp = 50n;

/** Timed sends of a tombstone batch. */
export const TOMBSTONE_COUNT = 10;
/** Timed sends of a batch that holds new or changed local services. */
export const ALIVE_COUNT = 5;
/** Copies of each own tombstone inside one batch. */
export const TOMBSTONE_COPIES = 2;
/** Period of the expiry and own-tombstone loop. 2 s. */
export const TOMBSTONE_SLEEP_INTERVAL_MS = 2000;
/** Spacing of the timed repeats of a batch. 1 s. */
export const RETRANSMIT_INTERVAL_MS = 1000;
/** Period of the local tracking and announce loop. 1 s. */
export const ALIVE_SLEEP_INTERVAL_MS = 1000;
/** Unchanged local services are re-announced once per this period. 1 min. */
export const ALIVE_BROADCAST_INTERVAL_MS = 60_000;
