import type { ConnectionBudgetStats } from './connection-budget.js';
import type { FrontendStats } from './frontend-set.js';
import type { RoutingTable } from './routing-table.js';

/**
 * Where the load balancer's routes are served: in this thread (ThreadDataPlane, `--proxy-workers 0`)
 * or by worker threads that each serve every route (WorkerDataPlane). The main thread builds
 * the routing table; a data plane binds the ports, picks endpoints and moves the bytes.
 */
export interface DataPlane {
  /** Serves `table` from now on; resolves once every thread applied it (binds done or failed). Calls apply in order. */
  apply(table: RoutingTable): Promise<void>;
  /** Counters and state, gathered from every thread that answers in time. */
  status(): Promise<DataPlaneStatus>;
  /** Stops accepting, destroys every connection and stops every thread. Idempotent. */
  close(): Promise<void>;
}

/** One worker thread's part of the load (`/api/proxy.json`'s `workers`). */
export interface WorkerShare {
  /** 0-based slot; a replaced worker keeps its slot. */
  readonly index: number;
  /**
   * `running`; `starting` (spawned or replaced, not ready yet); `unresponsive` (did not answer
   * the stats request in time); `down` (died, its replacement is scheduled); `stopped` (closed).
   */
  readonly state: 'running' | 'starting' | 'unresponsive' | 'down' | 'stopped';
  /** Client connections open now and accepted in all, in this slot's current thread. */
  readonly connectionsActive: number;
  readonly connectionsTotal: number;
  /** HTTP requests received (all ports). */
  readonly requests: number;
  /** Times this slot's thread died (threw or exited) and was replaced. */
  readonly restarts: number;
  /** Client connections open in threads of this slot when they died. */
  readonly lostConnections: number;
}

export interface DataPlaneStatus {
  /** By port: every frontend (draining ones too), counters summed over the threads. */
  readonly frontends: readonly FrontendStats[];
  /** By ServicePort: endpoint keys still in their slow-start window (in any thread). */
  readonly warming: ReadonlyMap<number, readonly string[]>;
  readonly connectionBudget: ConnectionBudgetStats | null;
  /** Worker threads (absent in single-thread mode). */
  readonly workers?: readonly WorkerShare[];
}
