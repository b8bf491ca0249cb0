/**
 * How dropped gossip is logged, so a flood of hostile bytes cannot flood the log and a
 * misconfigured peer is still seen:
 * - a peer whose packets or streams we cannot trust (wrong key, no key, another cluster,
 *   another label) is a warning, at most once per peer address per minute, with the count
 *   held back since;
 * - anything else dropped (malformed, oversized, over a stream limit) is logged at debug, and
 *   at warn, once per reason per minute, when it is sustained.
 */
import { KeyedLogLimiter, type Clock, type Logger } from '../../core/index.js';
import type { WireFailure, WireFailureReason } from '../wire/wire-result.js';

/** Least time between two warnings about one peer address, or about one drop reason, in ms. Default 60 000. */
export const DROP_WARN_INTERVAL_MS = 60_000;
/** Drops of one reason within a warn interval that make it "sustained" (a warning). */
export const SUSTAINED_DROPS = 10;

/** Failures that mean the peer is not using our key, cluster name or label. */
const TRUST_REASONS: ReadonlySet<WireFailureReason> = new Set(['decryptFailed', 'encryptionMismatch', 'clusterRejected', 'badLabel']);

function advice(reason: string): string {
  switch (reason) {
    case 'decryptFailed':
      return 'none of our encryption keys opens it: is the peer using another key?';
    case 'encryptionMismatch':
      return 'one side encrypts and the other does not: give every node the same key file';
    case 'clusterRejected':
      return 'it belongs to another cluster (cluster names differ)';
    default:
      return 'its gossip label is not ours';
  }
}

export class DropLog {
  private readonly byPeer: KeyedLogLimiter;
  private readonly byReason: KeyedLogLimiter;
  private readonly sinceWarn = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    clock: Clock,
    intervalMs = DROP_WARN_INTERVAL_MS,
  ) {
    this.byPeer = new KeyedLogLimiter(clock, intervalMs);
    this.byReason = new KeyedLogLimiter(clock, intervalMs, 64);
  }

  /** A packet or stream from `from` (an IP address, or `host:port`) was dropped. */
  dropped(what: 'packet' | 'stream', from: string, failure: Pick<WireFailure, 'reason' | 'detail'>): void {
    if (TRUST_REASONS.has(failure.reason as WireFailureReason)) {
      const held = this.byPeer.take(`${what} ${from}`);
      if (held !== undefined) {
        this.log.warn({ from, reason: failure.reason, suppressed: held }, `rejected gossip ${what} from ${from}: ${advice(failure.reason)} (${failure.detail})`);
      }
      return;
    }
    this.limited(what, from, failure.reason, failure.detail);
  }

  /** Something dropped for a reason that is not about trust: debug, and warn when sustained. */
  limited(what: 'packet' | 'stream', from: string, reason: string, detail: string): void {
    this.log.debug({ from, reason }, `dropped gossip ${what}: ${detail}`);
    const count = (this.sinceWarn.get(reason) ?? 0) + 1;
    this.sinceWarn.set(reason, count);
    if (count < SUSTAINED_DROPS) return;
    if (this.byReason.take(reason) === undefined) return;
    this.sinceWarn.set(reason, 0);
    this.log.warn({ reason, count, lastFrom: from }, `dropping gossip ${what}s (${reason}): ${count} since the last warning; last: ${detail}`);
  }
}
