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
  /**
   * The counters, shared by every worker thread's budget (from {@link ConnectionBudget.sharedCounters}),
   * so the threads together stay within one budget. Default: counters of this budget alone.
   */
  readonly counters?: SharedArrayBuffer;
}

/** Slots of the counters array: client connections, idle pooled upstreams, refused at accept. */
const CLIENTS = 0;
const IDLE = 1;
const REJECTED = 2;
const SLOTS = 3;

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
  /** [clients, idle, rejected], updated with Atomics: one budget may be shared by several threads. */
  private readonly cells: Int32Array;
  private readonly refusedLog: LogLimiter;
  private readonly maxFds: number;
  /** Pools of this thread holding idle connections: each closes its least recently used one, true if it had one. */
  private readonly evictors = new Set<() => boolean>();
  /** Bound once: called on each client socket's close. */
  readonly release = (): void => {
    Atomics.sub(this.cells, CLIENTS, 1);
  };

  /** Counters to share between the budgets of several threads (pass as `counters` to each). */
  static sharedCounters(): SharedArrayBuffer {
    return new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
  }

  constructor(private readonly options: ConnectionBudgetOptions) {
    this.maxFds = 2 * options.maxConnections;
    this.refusedLog = new LogLimiter(options.clock, WARN_INTERVAL_MS);
    this.cells = new Int32Array(options.counters ?? new ArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  }

  get maxConnections(): number {
    return this.options.maxConnections;
  }

  /** A client connection was accepted: true if it may stay (then call `release` on its close). */
  admit(): boolean {
    const clients = Atomics.add(this.cells, CLIENTS, 1) + 1;
    if (2 * clients + Atomics.load(this.cells, IDLE) > this.maxFds && !this.evictIdle()) {
      Atomics.sub(this.cells, CLIENTS, 1);
      this.refuse();
      return false;
    }
    return true;
  }

  /** A pool wants to keep a connection idle: true if the budget has room for it. */
  keepIdle(): boolean {
    const idle = Atomics.add(this.cells, IDLE, 1) + 1;
    if (2 * Atomics.load(this.cells, CLIENTS) + idle > this.maxFds) {
      Atomics.sub(this.cells, IDLE, 1);
      return false;
    }
    return true;
  }

  /** `n` idle connections were taken for a request or closed. */
  idleGone(n = 1): void {
    Atomics.sub(this.cells, IDLE, n);
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
      connections: Atomics.load(this.cells, CLIENTS),
      idleUpstreams: Atomics.load(this.cells, IDLE),
      rejectedTotal: Atomics.load(this.cells, REJECTED),
      fdLimit: this.options.fdLimit === undefined || !Number.isFinite(this.options.fdLimit) ? null : this.options.fdLimit,
      reserveFds: this.options.reserveFds ?? null,
    };
  }

  /** True while the counted fds exceed the budget. */
  private over(): boolean {
    return 2 * Atomics.load(this.cells, CLIENTS) + Atomics.load(this.cells, IDLE) > this.maxFds;
  }

  /**
   * Closes idle pooled connections of this thread until the client just counted fits; false
   * if it still does not (other threads' pools are theirs to empty).
   */
  private evictIdle(): boolean {
    for (const evict of this.evictors) {
      while (this.over()) if (!evict()) break;
      if (!this.over()) return true;
    }
    return false;
  }

  private refuse(): void {
    Atomics.add(this.cells, REJECTED, 1);
    const held = this.refusedLog.take();
    if (held === undefined) return;
    const refused = held + 1;
    const { maxConnections, fdLimit, reserveFds } = this.options;
    this.options.logger.warn(
      { code: ErrorCode.PROXY_FD_BUDGET, maxConnections, connections: Atomics.load(this.cells, CLIENTS), idleUpstreams: Atomics.load(this.cells, IDLE), refused, fdLimit, reserveFds },
      `this host is at its file-descriptor budget for proxied connections: ${refused} connection(s) refused` +
        ` over --proxy-max-connections ${maxConnections}` +
        (fdLimit === undefined ? '' : ` (open-files limit ${fdLimit}, ${reserveFds ?? 0} kept for gossip, the API and health checks)`) +
        '. Raise the limit (`ulimit -n`, systemd LimitNOFILE=, docker --ulimit nofile=) and PROXY_MAX_CONNECTIONS with it.',
    );
  }
}
