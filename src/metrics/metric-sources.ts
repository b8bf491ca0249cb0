import type { ServicesState } from '../catalog/index.js';
import type { ProxyStatus } from '../proxy/index.js';
import type { Member, MembershipStatsSnapshot } from '../membership/index.js';
import type { CheckCount } from '../health/index.js';
import type { ListenerInfo } from '../listeners/index.js';
import type { ReplicatorStats, ServicesDelegateStats } from '../replication/index.js';

/**
 * What `/metrics` reads, each at scrape time: the counters stay where they are incremented
 * (plain number fields in the proxy's worker threads, the membership engine, the catalog,
 * health and listeners) and are copied out here. The daemon (composition root) wires them.
 */
export interface MetricSources {
  readonly state: Pick<ServicesState, 'servers' | 'hostname' | 'stats' | 'lastChanged'>;
  /** The load balancer (absent with --no-proxy): describe() gathers every worker thread's counters. */
  readonly proxy?: { describe(): Promise<ProxyStatus>; readonly routingUpdates: number };
  /** The membership engine (absent when the agent runs without a cluster). */
  readonly gossip?: {
    stats(): MembershipStatsSnapshot;
    members(): readonly Member[];
    readonly healthScore: number;
    readonly localIncarnation: number;
  };
  readonly health?: { checkCounts(): readonly CheckCount[] };
  readonly listeners?: { list(): readonly ListenerInfo[] };
  readonly replication?: () => { readonly replicator: ReplicatorStats; readonly delegate: ServicesDelegateStats };
  /** Clock time in ms (ejections are compared with it). */
  readonly nowMs: () => number;
}
