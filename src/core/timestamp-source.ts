import type { Clock } from './clock.js';
import { msToTimestamp, type Timestamp } from './timestamp.js';

/**
 * Hands out strictly increasing timestamps for records this host originates.
 *
 * JavaScript clocks have millisecond resolution; consumers of Sidecar events (haproxy-api,
 * our own merge) accept a record only when its `Updated` is strictly newer. Two changes in
 * the same millisecond would share a timestamp and the second would be lost, so each stamp
 * is at least one nanosecond after the previous one. (The Go Sidecar has this bug.)
 */
export class TimestampSource {
  private last: Timestamp = 0n;
  /** The wall clock of the last call, converted once per millisecond (10,000 stamps a second come in one ms). */
  private wallMs = Number.NaN;
  private wall: Timestamp = 0n;

  constructor(private readonly clock: Clock) {}

  now(): Timestamp {
    const ms = this.clock.nowMs();
    if (ms !== this.wallMs) {
      this.wallMs = ms;
      this.wall = msToTimestamp(ms);
    }
    this.last = this.wall > this.last ? this.wall : this.last + 1n;
    return this.last;
  }
}
