import { ErrorCode, LogLimiter, type Clock, type Logger } from '../core/index.js';

/** The rejected-connection warning is logged at most once per this period. 1 min. */
const WARN_INTERVAL_MS = 60_000;

export interface ConnectionBudgetOptions {
  /** Client connections the proxy may hold open at once, all frontends together (each holds two fds: client and upstream). */
  readonly maxConnections: number;
  readonly logger: Logger;
  readonly clock: Clock;
  /** For the warning: the process's open-files limit and the fds kept for the control plane. */
  readonly fdLimit?: number;
  readonly reserveFds?: number;
}

/** `/api/proxy.json`'s `connectionBudget`. */
export interface ConnectionBudgetStats {
  readonly maxConnections: number;
  /** Client connections open now (each with at most one upstream connection). */
  readonly connections: number;
  /** Idle keep-alive upstream connections held in pools (one fd each). */
  readonly idleUpstreams: number;
  /** Connections closed at accept because the budget was spent. */
  readonly rejectedTotal: number;
  readonly fdLimit: number | null;
  readonly reserveFds: number | null;
}

/**
 * The proxy's share of the process's file descriptors, so that a flood of connections can
 * never take the fds gossip, the API and the health checks need (issue #11 row 5: a host whose
 * proxy took every fd had its health checks fail with EMFILE and its services announced
 * UNHEALTHY cluster-wide).
 *
 * In fds: each client connection counts 2 (itself and the one upstream connection it may
 * hold), each idle pooled upstream connection 1, and together they stay within
 * 2 × `maxConnections`. The check is on the accept path and costs a comparison; an accepted
 * connection over the budget is closed at once (after idle pooled connections, which are only
 * a cache, have been given up for it).
 */
export class ConnectionBudget {
  private clients = 0;
  private idle = 0;
  private rejected = 0;
  private readonly refusedLog: LogLimiter;
  private readonly maxFds: number;
  /** Pools holding idle connections: each closes its least recently used one, true if it had one. */
  private readonly evictors = new Set<() => boolean>();
  /** Bound once: called on each client socket's close. */
  readonly release = (): void => {
    this.clients--;
  };

  constructor(private readonly options: ConnectionBudgetOptions) {
    this.maxFds = 2 * options.maxConnections;
    this.refusedLog = new LogLimiter(options.clock, WARN_INTERVAL_MS);
  }

  get maxConnections(): number {
    return this.options.maxConnections;
  }

  /** A client connection was accepted: true if it may stay (then call `release` on its close). */
  admit(): boolean {
    if (2 * (this.clients + 1) + this.idle > this.maxFds) {
      if (!this.evictIdle()) {
        this.refuse();
        return false;
      }
    }
    this.clients++;
    return true;
  }

  /** A pool wants to keep a connection idle: true if the budget has room for it. */
  keepIdle(): boolean {
    if (2 * this.clients + this.idle + 1 > this.maxFds) return false;
    this.idle++;
    return true;
  }

  /** `n` idle connections were taken for a request or closed. */
  idleGone(n = 1): void {
    this.idle -= n;
  }

  /** A pool with idle connections (registered while it has some). */
  addEvictor(evict: () => boolean): void {
    this.evictors.add(evict);
  }

  removeEvictor(evict: () => boolean): void {
    this.evictors.delete(evict);
  }

  stats(): ConnectionBudgetStats {
    return {
      maxConnections: this.options.maxConnections,
      connections: this.clients,
      idleUpstreams: this.idle,
      rejectedTotal: this.rejected,
      fdLimit: this.options.fdLimit === undefined || !Number.isFinite(this.options.fdLimit) ? null : this.options.fdLimit,
      reserveFds: this.options.reserveFds ?? null,
    };
  }

  /** Closes idle pooled connections until a new client fits; false if it still does not. */
  private evictIdle(): boolean {
    for (const evict of this.evictors) {
      while (2 * (this.clients + 1) + this.idle > this.maxFds) if (!evict()) break;
      if (2 * (this.clients + 1) + this.idle <= this.maxFds) return true;
    }
    return false;
  }

  private refuse(): void {
    this.rejected++;
    const held = this.refusedLog.take();
    if (held === undefined) return;
    const refused = held + 1;
    const { maxConnections, fdLimit, reserveFds } = this.options;
    this.options.logger.warn(
      { code: ErrorCode.PROXY_FD_BUDGET, maxConnections, connections: this.clients, idleUpstreams: this.idle, refused, fdLimit, reserveFds },
      `this host is at its file-descriptor budget for proxied connections: ${refused} connection(s) refused` +
        ` over --proxy-max-connections ${maxConnections}` +
        (fdLimit === undefined ? '' : ` (open-files limit ${fdLimit}, ${reserveFds ?? 0} kept for gossip, the API and health checks)`) +
        '. Raise the limit (`ulimit -n`, systemd LimitNOFILE=, docker --ulimit nofile=) and PROXY_MAX_CONNECTIONS with it.',
    );
  }
}
