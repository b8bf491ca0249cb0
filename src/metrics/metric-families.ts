/**
 * Every metric family the agent exports under `sidecar_`, in one table: `/metrics` registers
 * them from it and docs/metrics.md is generated from it (a test keeps them in step). Labels
 * are bounded by the instance count: `service` (a service name), `port` (a ServicePort),
 * `backend` (an instance's `ip:port`), plus small fixed sets (`code`, `status`, `state`…).
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram';

export interface MetricFamily {
  readonly name: string;
  readonly type: FamilyType;
  readonly labels: readonly string[];
  readonly help: string;
  /** Where the value comes from, for docs/metrics.md. */
  readonly group: 'proxy' | 'catalog' | 'gossip';
}

const SP = ['service', 'port'] as const;
const SPB = ['service', 'port', 'backend'] as const;

function family(group: MetricFamily['group'], name: string, type: FamilyType, labels: readonly string[], help: string): MetricFamily {
  return { group, name: `sidecar_${name}`, type, labels, help };
}

/** Upper bounds (seconds) of the request duration histogram: the proxy's fixed ms buckets / 1000. */
export const FAMILIES = {
  // proxy: gathered from LoadBalancer.describe() (every worker thread's counters, summed)
  proxyConnections: family('proxy', 'proxy_connections_total', 'counter', SP, 'Client connections accepted by the ServicePort frontend (rejected ones included).'),
  proxyConnectionsActive: family('proxy', 'proxy_connections_active', 'gauge', SP, 'Client connections open now on the frontend.'),
  proxyConnectionsRejected: family('proxy', 'proxy_connections_rejected_total', 'counter', SP, 'Client connections closed at accept because the frontend or the fd budget was full.'),
  proxyRetries: family('proxy', 'proxy_retries_total', 'counter', SP, 'Connect attempts made on another backend after a failed one (at most 3 per connection or request, HAProxy\'s `retries 3` with `option redispatch`).'),
  proxyNoBackend: family('proxy', 'proxy_no_backend_total', 'counter', SP, 'Connections (TCP: closed) or requests (HTTP: answered 503) with no backend left to try.'),
  proxyRequests: family('proxy', 'proxy_requests_total', 'counter', [...SP, 'code'], 'HTTP responses sent to clients by status class (code = 1xx…5xx; 1xx counts upgrades). HTTP and ws modes only.'),
  proxyRequestErrors: family('proxy', 'proxy_request_errors_total', 'counter', [...SP, 'kind'], 'HTTP request failures by kind: connect, timeout (504), reset, bad_request (400/431/505 to a client), bad_response (502).'),
  proxyRequestDuration: family('proxy', 'proxy_request_duration_seconds', 'histogram', SP, 'Time from the request head to the response head, HTTP modes (fixed buckets 1 ms … 5 s).'),
  proxyReceivedBytes: family('proxy', 'proxy_received_bytes_total', 'counter', SP, 'Bytes read from clients on the frontend.'),
  proxySentBytes: family('proxy', 'proxy_sent_bytes_total', 'counter', SP, 'Bytes written to clients on the frontend.'),
  proxyFrontendUp: family('proxy', 'proxy_frontend_up', 'gauge', [...SP, 'mode'], '1 while the frontend listens on its ServicePort, 0 when its bind failed (see the log) or it is draining.'),
  proxyBackendConnections: family('proxy', 'proxy_backend_connections_total', 'counter', SPB, 'Connections established to the backend (HTTP: upstream connections, reused by keep-alive).'),
  proxyBackendConnectionsActive: family('proxy', 'proxy_backend_connections_active', 'gauge', SPB, 'Connections open now to the backend.'),
  proxyUpstreamConnectFailures: family('proxy', 'proxy_upstream_connect_failures_total', 'counter', SPB, 'Connect attempts to the backend that failed (refused, unreachable, timed out); each one is retried on another backend while retries remain.'),
  proxyBackendRequests: family('proxy', 'proxy_backend_requests_total', 'counter', SPB, 'HTTP requests sent to the backend.'),
  proxyBackendUp: family('proxy', 'proxy_backend_up', 'gauge', SPB, '1 for a backend in the route (ALIVE) and in rotation, 0 while ejected by outlier detection.'),
  proxyBackendWarming: family('proxy', 'proxy_backend_warming', 'gauge', SPB, '1 while the backend is in its slow-start window (taking a growing share), else 0.'),
  proxyEjections: family('proxy', 'proxy_ejections_total', 'counter', SPB, 'Times passive outlier detection ejected the backend (consecutive failures).'),
  proxyPortCollisions: family('proxy', 'proxy_port_collisions', 'gauge', ['port', 'service'], 'Services that claim a ServicePort another (older) service owns, so are not routed: one series per rejected service.'),
  proxyRoutingUpdates: family('proxy', 'proxy_routing_updates_total', 'counter', [], 'Routing tables built from the catalog and applied by the data plane.'),
  proxyWorkerUp: family('proxy', 'proxy_worker_up', 'gauge', ['worker'], '1 while the proxy worker thread answers, 0 while it is starting or unresponsive (--proxy-workers).'),
  proxyWorkerConnectionsActive: family('proxy', 'proxy_worker_connections_active', 'gauge', ['worker'], 'Client connections open now in the worker thread.'),
  proxyWorkerConnections: family('proxy', 'proxy_worker_connections_total', 'counter', ['worker'], 'Client connections accepted by the worker thread (resets when the thread is replaced).'),
  proxyWorkerRestarts: family('proxy', 'proxy_worker_restarts_total', 'counter', ['worker'], 'Times the worker slot\'s thread died or stalled and was replaced.'),
  proxyWorkerLostConnections: family('proxy', 'proxy_worker_lost_connections_total', 'counter', ['worker'], 'Client connections that were open in a worker thread when it died.'),
  // catalog: ServicesState, the local host's records, health, listeners, replication
  catalogServices: family('catalog', 'catalog_services', 'gauge', ['status'], 'Service instances in the cluster catalog by status (alive, unhealthy, unknown, draining, tombstone); tombstones are kept until they expire.'),
  catalogLocalServices: family('catalog', 'catalog_local_services', 'gauge', ['status'], 'Service instances of this host by status.'),
  catalogHosts: family('catalog', 'catalog_hosts', 'gauge', [], 'Hosts with at least one record in the catalog.'),
  catalogStateChanges: family('catalog', 'catalog_state_changes_total', 'counter', ['status'], 'Status changes of catalog records (any host), by the new status.'),
  catalogLastChange: family('catalog', 'catalog_last_change_timestamp_seconds', 'gauge', [], 'When the catalog last changed a status (Unix time, seconds).'),
  catalogStaleDropped: family('catalog', 'catalog_stale_records_dropped_total', 'counter', [], 'Records received on gossip that were older than the stale cutoff and were dropped.'),
  healthChecks: family('catalog', 'health_checks_total', 'counter', ['type', 'outcome'], 'Health check runs by check type (HttpGet, Tcp, External…) and outcome (healthy, unhealthy, unknown, timeout, local_shortage).'),
  listenerPosts: family('catalog', 'listener_posts_total', 'counter', ['listener', 'outcome'], 'State-change POSTs to URL listeners by outcome: posted (2xx), failed (every retry failed), dropped (buffer full).'),
  replicationBroadcasts: family('catalog', 'replication_broadcasts_total', 'counter', [], 'Records of this host handed to the cluster (announces, repeats, tombstones).'),
  replicationRelayed: family('catalog', 'replication_relayed_total', 'counter', [], 'Records of other hosts accepted as newer and gossiped on once.'),
  replicationHostsExpired: family('catalog', 'replication_hosts_expired_total', 'counter', [], 'Departed hosts whose live records were tombstoned.'),
  replicationMessages: family('catalog', 'replication_messages_received_total', 'counter', ['outcome'], 'Catalog gossip messages received: merged (handed to the merge rules) or malformed (dropped).'),
  replicationStates: family('catalog', 'replication_states_received_total', 'counter', ['outcome'], 'Full catalog states received in push/pull exchanges: merged or malformed.'),
  // gossip: Memberlist.stats(), members(), healthScore
  gossipMembers: family('gossip', 'gossip_members', 'gauge', ['state'], 'Cluster members known to this node by state (alive, suspect, dead, left), this node included.'),
  gossipMessagesSent: family('gossip', 'gossip_messages_sent_total', 'counter', ['type'], 'memberlist messages sent by type (ping, ack, alive, suspect, dead, user, pushPull…), packet parts and streams.'),
  gossipMessagesReceived: family('gossip', 'gossip_messages_received_total', 'counter', ['type'], 'memberlist messages received and handled, by type.'),
  gossipPacketsSent: family('gossip', 'gossip_packets_sent_total', 'counter', [], 'UDP packets sent.'),
  gossipPacketsReceived: family('gossip', 'gossip_packets_received_total', 'counter', [], 'UDP packets received.'),
  gossipSentBytes: family('gossip', 'gossip_sent_bytes_total', 'counter', [], 'UDP bytes sent.'),
  gossipReceivedBytes: family('gossip', 'gossip_received_bytes_total', 'counter', [], 'UDP bytes received.'),
  gossipDropped: family('gossip', 'gossip_dropped_total', 'counter', ['reason'], 'Packets, packet parts or streams dropped, by reason (bad checksum, decrypt failure, limits…).'),
  gossipProbes: family('gossip', 'gossip_probes_total', 'counter', [], 'Probes of other members (SWIM pings).'),
  gossipProbesFailed: family('gossip', 'gossip_probes_failed_total', 'counter', [], 'Probes answered by no one (direct, indirect and TCP fallback).'),
  gossipIndirectProbes: family('gossip', 'gossip_indirect_probes_total', 'counter', [], 'Probes that went on to indirect pings through other members.'),
  gossipTcpFallbackProbes: family('gossip', 'gossip_tcp_fallback_probes_total', 'counter', [], 'Probes that tried the TCP fallback ping.'),
  gossipSuspicions: family('gossip', 'gossip_suspicions_total', 'counter', [], 'Members this node declared suspect after a failed probe.'),
  gossipRefutations: family('gossip', 'gossip_refutations_total', 'counter', [], 'Suspicions or deaths of this node that it refuted.'),
  gossipStallGraces: family('gossip', 'gossip_stall_graces_total', 'counter', [], 'Probe deadlines extended because this node\'s event loop stalled (not the peer\'s fault).'),
  gossipPushPulls: family('gossip', 'gossip_push_pulls_total', 'counter', ['outcome'], 'Full state exchanges this node started, by outcome (ok, failed).'),
  gossipBroadcastQueue: family('gossip', 'gossip_broadcast_queue', 'gauge', ['kind'], 'Messages waiting to be gossiped: members (membership) and users (catalog records).'),
  gossipHealthScore: family('gossip', 'gossip_health_score', 'gauge', [], 'Lifeguard awareness: 0 is healthy; higher means this node is slow to answer and stretches its timeouts.'),
  gossipIncarnation: family('gossip', 'gossip_incarnation', 'gauge', [], 'This node\'s incarnation number (rises with each refutation).'),
} as const satisfies Record<string, MetricFamily>;

export type FamilyKey = keyof typeof FAMILIES;
