/**
 * Joins the cluster in the background: resolves the seeds (`host` or `host:port`), push/pulls
 * with each, and on failure keeps the node running alone and retries with exponential
 * back-off, saying so in the log. Once joined it keeps watching: a node left alone (every
 * peer dead, e.g. after a partition both sides gave up on) tries the seeds again.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Backoff, SidecarError, ErrorCode, splitHostPort, type Clock, type Logger, type TimerHandle } from '../../core/index.js';
import { formatPeerAddress, type PeerAddress } from '../transports/transport.js';
import type { PushPullResult } from './stream-exchange.js';

/** What the joiner needs of a member (Memberlist implements it). */
export interface Joinable {
  join(seeds: readonly PeerAddress[]): Promise<PushPullResult[]>;
  readonly numMembers: number;
}

export interface SeedJoinerOptions {
  readonly member: Joinable;
  /** Seeds as given by the user: `host`, `host:port`, `[v6]:port`. */
  readonly seeds: readonly string[];
  /** Port of seeds given without one (the Go Sidecar uses its own bind port). */
  readonly defaultPort: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Name resolution; default DNS (getaddrinfo, like Go's resolver honouring /etc/hosts). */
  readonly resolve?: (host: string) => Promise<string[]>;
  /** First retry delay in ms. Default 1000. */
  readonly initialBackoffMs?: number;
  /** Longest retry delay in ms. Default 30000. */
  readonly maxBackoffMs?: number;
  /** How often a joined node checks whether it has been left alone, in ms. Default 5000. */
  readonly aloneCheckMs?: number;
}

/**
 * Splits `host`, `host:port` or `[v6]:port` (the port defaults to `defaultPort`); throws a
 * CONFIG_INVALID error naming the seed. The configuration checks seeds the same way at load.
 */
export function parseSeed(seed: string, defaultPort: number): { host: string; port: number } {
  const parts = splitHostPort(seed);
  if (parts === undefined) {
    throw new SidecarError(ErrorCode.CONFIG_INVALID, `seed ${JSON.stringify(seed)} is not host or host:port with a port from 1 to 65535`);
  }
  return { host: parts.host, port: parts.port ?? defaultPort };
}

async function dnsResolve(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const found = await lookup(host, { all: true });
  return found.map((a) => a.address);
}

export class SeedJoiner {
  private timer: TimerHandle | null = null;
  private readonly backoff: Backoff;
  private joined = false;
  private closed = false;
  private attempts = 0;

  constructor(private readonly options: SeedJoinerOptions) {
    this.backoff = new Backoff({ initialMs: options.initialBackoffMs ?? 1000, maxMs: options.maxBackoffMs ?? 30_000 });
    for (const seed of options.seeds) parseSeed(seed, options.defaultPort);
  }

  /** True once a join succeeded (the node may be alone again since). */
  get hasJoined(): boolean {
    return this.joined;
  }

  /** Tries at once; resolves with whether this first attempt joined. */
  async start(): Promise<boolean> {
    if (this.options.seeds.length === 0) {
      this.options.logger.info('no seeds configured; running as a cluster of one');
      return false;
    }
    return this.attempt();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async attempt(): Promise<boolean> {
    if (this.closed) return false;
    this.attempts += 1;
    const { logger } = this.options;
    const errors: string[] = [];
    const addresses: PeerAddress[] = [];
    for (const seed of this.options.seeds) {
      const { host, port } = parseSeed(seed, this.options.defaultPort);
      try {
        for (const ip of await (this.options.resolve ?? dnsResolve)(host)) addresses.push({ host: ip, port });
      } catch (err) {
        errors.push(`${seed}: cannot resolve (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    const results = addresses.length > 0 ? await this.options.member.join(addresses) : [];
    if (this.closed) return false;
    results.forEach((r, i) => {
      if (!r.ok) errors.push(`${formatPeerAddress(addresses[i] as PeerAddress)}: ${r.error}`);
    });
    const ok = results.filter((r) => r.ok).length;
    if (ok > 0) {
      this.joined = true;
      this.backoff.reset();
      logger.info({ seedsReached: ok, members: this.options.member.numMembers }, 'joined the cluster');
      if (errors.length > 0) logger.warn({ errors }, 'some seeds could not be reached');
      this.schedule(this.options.aloneCheckMs ?? 5000, true);
      return true;
    }
    logger.warn({ errors, attempt: this.attempts, retryInMs: this.backoff.peekMs }, 'could not join any seed; running alone and retrying');
    this.schedule(this.backoff.next(), false);
    return false;
  }

  /** Retries after a failure, or (watching) re-joins when we find ourselves alone. */
  private schedule(delayMs: number, watching: boolean): void {
    if (this.closed) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      if (watching && this.options.member.numMembers > 1) {
        this.schedule(delayMs, true);
        return;
      }
      if (watching) this.options.logger.warn('no other members left; trying the seeds again');
      void this.attempt();
    }, delayMs);
  }
}
