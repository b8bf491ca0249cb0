import type { Socket } from 'node:net';
import type { Clock, Logger } from '../core/index.js';
import type { DataPlane, DataPlaneStatus } from './data-plane.js';
import { FrontendSet, type FrontendSetOptions, type ProxyRoute } from './frontend-set.js';
import { RoundRobin } from './round-robin.js';
import { SlowStartPicker } from './slow-start.js';
import type { RoutingTable } from './routing-table.js';
import type { ConnectionBudget } from './connection-budget.js';
import { AccessLogWriter, type AccessLogStats } from './access-log.js';

export interface ThreadDataPlaneOptions extends FrontendSetOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Endpoints that join a route ramp up to their full share over this window. Default
   * 10 000 ms; 0 turns slow start off. The first routes after start-up are not slowed.
   */
  readonly slowStartMs?: number;
  /** `--proxy-access-log`: a file (opened for append by this thread) or `-` (stdout). None: no access log (unless `accessLog` is given). */
  readonly accessLogPath?: string;
}

/** Default slow-start window: 10 s, long enough for a cold instance's caches and JIT to warm. */
export const DEFAULT_SLOW_START_MS = 10_000;

/**
 * The data plane of one thread: one round-robin picker per ServicePort (kept across
 * updates, so rotation stays fair and slow start knows who joined) and the frontend set,
 * which binds, swaps and drains sockets. Runs in the main thread with `--proxy-workers 0`,
 * and in each worker thread otherwise (every worker gets the same tables, in order).
 */
export class ThreadDataPlane implements DataPlane {
  private readonly pickers = new Map<number, SlowStartPicker>();
  private firstUpdate = true;
  private readonly frontends: FrontendSet;
  /** The access log this plane opened (and closes); one given in `accessLog` belongs to the caller. */
  private readonly ownAccessLog: AccessLogWriter | undefined;

  constructor(private readonly options: ThreadDataPlaneOptions) {
    const path = options.accessLogPath;
    this.ownAccessLog = options.accessLog === undefined && path !== undefined && path !== '' ? new AccessLogWriter(path, options.logger, options.clock) : undefined;
    this.frontends = new FrontendSet(this.ownAccessLog === undefined ? options : { ...options, accessLog: this.ownAccessLog });
  }

  /** This thread's access-log counters; undefined when it has none. */
  accessLogStats(): AccessLogStats | undefined {
    return (this.ownAccessLog ?? this.options.accessLog)?.stats();
  }

  get budget(): ConnectionBudget | undefined {
    return this.options.budget;
  }

  apply(table: RoutingTable): Promise<void> {
    const routes = new Map<number, ProxyRoute>();
    for (const route of table.routes) {
      const port = route.servicePort;
      let picker = this.pickers.get(port);
      const keys = new Set(route.endpoints.map((e) => e.key));
      let rejoined: readonly string[];
      if (picker === undefined) {
        rejoined = [...keys];
        // A random start keeps every host (and every worker) from sending its first connection to the same endpoint.
        const rotation = new RoundRobin(route.endpoints, Math.floor(Math.random() * Math.max(1, route.endpoints.length)));
        picker = new SlowStartPicker(rotation, this.options.clock, this.options.slowStartMs ?? DEFAULT_SLOW_START_MS);
        this.pickers.set(port, picker);
        if (!this.firstUpdate && route.endpoints.length > 1) picker.join(keys);
      } else {
        const before = new Set(picker.rotation.endpoints.map((e) => e.key));
        picker.rotation.update(route.endpoints);
        picker.retain(keys);
        rejoined = [...keys].filter((k) => !before.has(k));
        // Ramp up only against endpoints already serving: a route's only endpoint, or
        // endpoints that all arrive together, take all the work whatever.
        if (route.endpoints.length > 1 && before.size > 0) picker.join(rejoined);
      }
      // An endpoint that (re)enters the route passed its health check: its outlier ejection ends.
      routes.set(port, { picker, mode: route.mode, serviceName: route.serviceName, ...(rejoined.length > 0 ? { rejoined } : {}) });
    }
    this.firstUpdate = false;
    for (const port of [...this.pickers.keys()]) if (!routes.has(port)) this.pickers.delete(port);
    return this.frontends.apply(routes);
  }

  /** A connection another worker thread accepted for `port` and handed over. */
  adopt(port: number, socket: Socket): void {
    this.frontends.adopt(port, socket);
  }

  /** Another thread ejected `key` from `port`'s rotation until `untilMs`: skip it here too. */
  adoptEjection(port: number, key: string, untilMs: number): void {
    this.frontends.adoptEjection(port, key, untilMs);
  }

  status(): Promise<DataPlaneStatus> {
    return Promise.resolve(this.statusNow());
  }

  /** The status, synchronously (the worker thread answers stats requests with it). */
  statusNow(): DataPlaneStatus {
    const warming = new Map<number, readonly string[]>();
    for (const [port, picker] of this.pickers) {
      const keys = picker.warmingKeys();
      if (keys.length > 0) warming.set(port, keys);
    }
    return { frontends: this.frontends.stats(), warming, connectionBudget: this.options.budget?.stats() ?? null };
  }

  async close(): Promise<void> {
    await this.frontends.close();
    await this.ownAccessLog?.close();
  }
}
