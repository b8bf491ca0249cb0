import type { Clock, Logger } from '../core/index.js';
import type { Service } from '../catalog/index.js';
import type { FrontendStats } from './frontend-set.js';
import { EMPTY_ROUTING_TABLE, buildRoutingTable, type RoutingTable } from './routing-table.js';
import type { ForwarderOptions } from './forwarder.js';
import { ConnectionBudget, type ConnectionBudgetStats } from './connection-budget.js';
import type { DataPlane, WorkerShare } from './data-plane.js';
import { ThreadDataPlane } from './thread-data-plane.js';
import { WorkerDataPlane } from './workers/worker-data-plane.js';
import type { WorkerScript } from './workers/worker-script.js';
import type { FastpathStatus } from './fastpath/index.js';

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
  /** Each worker thread's share of the load (`--proxy-workers`); absent when the main thread forwards. */
  readonly workers?: readonly WorkerShare[];
  /** The nftables fast path (`--proxy-tcp-fastpath nftables`): on or off and why, the ports the kernel forwards, apply counts and time. Absent when not asked for. */
  readonly fastpath?: FastpathStatus;
}

/** A port collision is logged at most once per this period (the Go Sidecar's Envoy rule). 1 min. */
const COLLISION_LOG_INTERVAL_MS = 60_000;

export interface LoadBalancerOptions extends Omit<ForwarderOptions, 'budget' | 'accessLog'> {
  /** `--proxy-access-log`: a file every forwarding thread appends its lines to, or `-` (stdout). None: off. */
  readonly accessLogPath?: string;
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
  /**
   * Worker threads that forward, each with its own listener on every ServicePort
   * (SO_REUSEPORT). Default 0: this thread forwards (the single-thread mode).
   */
  readonly workers?: number;
  /** What worker threads run (default: proxyWorkerScript()). */
  readonly workerScript?: WorkerScript;
}

/**
 * The in-process load balancer: turns the catalog's records into a routing table (here, in
 * the main thread, the control plane) and hands it to the data plane that serves it: this
 * thread (`workers` 0) or worker threads that each serve every route.
 */
export class LoadBalancer {
  private table: RoutingTable = EMPTY_ROUTING_TABLE;
  private readonly plane: DataPlane;
  private readonly collisionLoggedAt = new Map<string, number>();
  private updates = 0;

  constructor(private readonly options: LoadBalancerOptions) {
    const { fdBudget: b, workers = 0, workerScript, bindIp, logger, clock, drainTimeoutMs, slowStartMs, accessLogPath, ...forwarder } = options;
    if (workers > 0) {
      this.plane = new WorkerDataPlane({
        workers,
        bindIp,
        forwarder,
        logger,
        clock,
        ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
        ...(slowStartMs === undefined ? {} : { slowStartMs }),
        ...(b === undefined ? {} : { fdBudget: b }),
        ...(workerScript === undefined ? {} : { script: workerScript }),
        ...(accessLogPath === undefined ? {} : { accessLogPath }),
      });
    } else {
      const budget = b === undefined ? undefined : new ConnectionBudget({ ...b, logger, clock });
      this.plane = new ThreadDataPlane({ ...options, ...(budget === undefined ? {} : { budget }) });
    }
  }

  /** Rebuilds the routes from every record in the state and applies them (resolves once every thread serves them). */
  update(services: Iterable<Service>): Promise<void> {
    const next = buildRoutingTable(services);
    this.table = next;
    this.updates++;
    this.reportCollisions(next);
    return this.plane.apply(next);
  }

  /** Routing tables built and applied since start (one per burst of catalog changes). */
  get routingUpdates(): number {
    return this.updates;
  }

  /** The routes now in force. */
  routingTable(): RoutingTable {
    return this.table;
  }

  /** Everything `/api/proxy.json` shows: bind IP, routes with their frontend counters, collisions, workers. */
  async describe(): Promise<ProxyStatus> {
    const status = await this.plane.status();
    const frontends = new Map(status.frontends.map((f) => [f.port, f]));
    const routed = new Set(this.table.routes.map((r) => r.servicePort));
    return {
      bindIp: this.options.bindIp,
      routes: this.table.routes.map((route) => ({
        servicePort: route.servicePort,
        serviceName: route.serviceName,
        mode: route.mode,
        endpoints: route.endpoints.map((e) => ({ key: e.key, hostname: e.hostname, serviceId: e.serviceId, ip: e.ip, port: e.port })),
        warming: status.warming.get(route.servicePort) ?? [],
        listener: frontends.get(route.servicePort) ?? null,
      })),
      draining: [...frontends.values()].filter((f) => !routed.has(f.port)),
      collisions: this.table.collisions,
      excluded: this.table.excluded,
      connectionBudget: status.connectionBudget,
      ...(status.workers === undefined ? {} : { workers: status.workers }),
    };
  }

  /** Counters of every frontend (summed over the worker threads). */
  async stats(): Promise<FrontendStats[]> {
    return [...(await this.plane.status()).frontends];
  }

  /** The worker threads' data plane, or undefined in single-thread mode (for fault-injection tests). */
  get workerPlane(): WorkerDataPlane | undefined {
    return this.plane instanceof WorkerDataPlane ? this.plane : undefined;
  }

  close(): Promise<void> {
    return this.plane.close();
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
