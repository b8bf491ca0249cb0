import type { Clock, Logger } from '../core/index.js';
import type { Service } from '../catalog/index.js';
import { FrontendSet, type FrontendStats, type ProxyRoute } from './frontend-set.js';
import { RoundRobin } from './round-robin.js';
import { SlowStartPicker } from './slow-start.js';
import { EMPTY_ROUTING_TABLE, buildRoutingTable, type RoutingTable } from './routing-table.js';
import type { ForwarderOptions } from './forwarder.js';
import { ConnectionBudget, type ConnectionBudgetStats } from './connection-budget.js';

/** The document behind `/api/proxy.json`. */
export interface ProxyStatus {
  readonly bindIp: string;
  readonly routes: ReadonlyArray<{
    readonly servicePort: number;
    readonly serviceName: string;
    readonly mode: string;
    readonly endpoints: ReadonlyArray<{ key: string; hostname: string; serviceId: string; ip: string; port: number }>;
    /** Endpoints still in their slow-start window. */
    readonly warming: readonly string[];
    /** The route's frontend (its bound port); `listener` in the JSON, as published before the rename. */
    readonly listener: FrontendStats | null;
  }>;
  /** Frontends of removed routes still draining their connections. */
  readonly draining: readonly FrontendStats[];
  readonly collisions: RoutingTable['collisions'];
  readonly excluded: RoutingTable['excluded'];
  /** The process-wide cap on proxied connections (null when none was set). */
  readonly connectionBudget: ConnectionBudgetStats | null;
}

/** A port collision is logged at most once per this period (the Go Sidecar's Envoy rule). 1 min. */
const COLLISION_LOG_INTERVAL_MS = 60_000;

export interface LoadBalancerOptions extends Omit<ForwarderOptions, 'budget'> {
  /** The well-known IP every ServicePort is bound on (default 192.168.168.168). */
  readonly bindIp: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** How long a removed frontend's connections may drain. Default 30 000 ms. */
  readonly drainTimeoutMs?: number;
  /**
   * Endpoints that join a route ramp up to their full share over this window. Default
   * 10 000 ms; 0 turns slow start off. The first routes after start-up are not slowed.
   */
  readonly slowStartMs?: number;
  /**
   * The proxy's share of the process's file descriptors: at most `maxConnections` client
   * connections (2 fds each) over all frontends; more are closed at accept. `fdLimit` and
   * `reserveFds` are named in the warning. None: only the per-frontend `maxConnections`.
   */
  readonly fdBudget?: { readonly maxConnections: number; readonly fdLimit?: number; readonly reserveFds?: number };
}

/**
 * The in-process load balancer: turns the catalog's records into a routing table, keeps one
 * round-robin picker per ServicePort (kept across updates so rotation stays fair), and hands
 * the routes to the frontend set, which binds, swaps and drains sockets.
 */
export class LoadBalancer {
  private table: RoutingTable = EMPTY_ROUTING_TABLE;
  private readonly pickers = new Map<number, SlowStartPicker>();
  private firstUpdate = true;
  private readonly frontends: FrontendSet;
  private readonly collisionLoggedAt = new Map<string, number>();
  private readonly budget: ConnectionBudget | undefined;

  constructor(private readonly options: LoadBalancerOptions) {
    const b = options.fdBudget;
    this.budget = b === undefined ? undefined : new ConnectionBudget({ ...b, logger: options.logger, clock: options.clock });
    this.frontends = new FrontendSet({ ...options, ...(this.budget === undefined ? {} : { budget: this.budget }) });
  }

  /** Rebuilds the routes from every record in the state and applies them. */
  async update(services: Iterable<Service>): Promise<void> {
    const next = buildRoutingTable(services);
    const routes = new Map<number, ProxyRoute>();
    for (const route of next.routes) {
      const port = route.servicePort;
      let picker = this.pickers.get(port);
      const keys = new Set(route.endpoints.map((e) => e.key));
      let rejoined: readonly string[];
      if (picker === undefined) {
        rejoined = [...keys];
        // A random start keeps every host from sending its first connection to the same endpoint.
        const rotation = new RoundRobin(route.endpoints, Math.floor(Math.random() * Math.max(1, route.endpoints.length)));
        picker = new SlowStartPicker(rotation, this.options.clock, this.options.slowStartMs ?? 10_000);
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
    this.table = next;
    this.reportCollisions(next);
    await this.frontends.apply(routes);
  }

  /** The routes now in force. */
  routingTable(): RoutingTable {
    return this.table;
  }

  /** Everything `/api/proxy.json` shows: bind IP, routes with their frontend counters, collisions. */
  describe(): ProxyStatus {
    const frontends = new Map(this.frontends.stats().map((f) => [f.port, f]));
    const routed = new Set(this.table.routes.map((r) => r.servicePort));
    return {
      bindIp: this.options.bindIp,
      routes: this.table.routes.map((route) => ({
        servicePort: route.servicePort,
        serviceName: route.serviceName,
        mode: route.mode,
        endpoints: route.endpoints.map((e) => ({ key: e.key, hostname: e.hostname, serviceId: e.serviceId, ip: e.ip, port: e.port })),
        warming: this.pickers.get(route.servicePort)?.warmingKeys() ?? [],
        listener: frontends.get(route.servicePort) ?? null,
      })),
      draining: [...frontends.values()].filter((f) => !routed.has(f.port)),
      collisions: this.table.collisions,
      excluded: this.table.excluded,
      connectionBudget: this.budget?.stats() ?? null,
    };
  }

  stats(): FrontendStats[] {
    return this.frontends.stats();
  }

  close(): Promise<void> {
    return this.frontends.close();
  }

  private reportCollisions(table: RoutingTable): void {
    const now = this.options.clock.nowMs();
    for (const c of table.collisions) {
      const key = `${c.servicePort}:${c.rejected.join(',')}`;
      const last = this.collisionLoggedAt.get(key);
      if (last !== undefined && now - last < COLLISION_LOG_INTERVAL_MS) continue;
      this.collisionLoggedAt.set(key, now);
      this.options.logger.warn(
        { servicePort: c.servicePort, owner: c.owner, rejected: c.rejected },
        `ServicePort ${c.servicePort} is claimed by several services: "${c.owner}" (oldest) keeps it, ${c.rejected.map((r) => `"${r}"`).join(', ')} not routed`,
      );
    }
  }
}
