/**
 * proxy: the in-process load balancer — one frontend per (service, ServicePort) on the
 * well-known IP, round robin over the ALIVE endpoints of every host. Reads immutable catalog
 * snapshots; never imports discovery or membership.
 */
export {
  type ProxyMode,
  type Endpoint,
  type Route,
  type PortCollision,
  type ExcludedInstance,
  type RoutingTable,
  EMPTY_ROUTING_TABLE,
  toProxyMode,
  buildRoutingTable,
} from './routing-table.js';
export { RoundRobin } from './round-robin.js';
export {
  type Forwarder,
  type ForwarderOptions,
  type ForwarderRoute,
  type ProxyEndpoint,
  type EndpointPicker,
  type EndpointStats,
  type ForwarderStats,
  FORWARDER_DEFAULTS,
} from './forwarder.js';
export { TcpForwarder } from './tcp-forwarder.js';
export {
  type ProxyRoute,
  type FrontendSetOptions,
  type FrontendState,
  type FrontendStats,
  FRONTEND_SET_DEFAULTS,
  FrontendSet,
} from './frontend-set.js';
export { LoadBalancer, type LoadBalancerOptions, type ProxyStatus } from './load-balancer.js';
export {
  type HttpForwarderStats,
  type HttpForwarderCounters,
  type HttpEndpointStats,
  type HttpCounters,
  type LatencyHistogram,
  type ResponseClassCounts,
  type HttpErrorCounts,
  LATENCY_BUCKETS_MS,
  HttpForwarder,
} from './http/index.js';
export { type OutlierOptions, type OutlierState, OUTLIER_DEFAULTS, OutlierDetector } from './outlier-detector.js';
export { SlowStartPicker } from './slow-start.js';
export { ConnectionBudget, type ConnectionBudgetOptions, type ConnectionBudgetStats } from './connection-budget.js';
export { type DataPlane, type DataPlaneStatus, type WorkerShare } from './data-plane.js';
export { ThreadDataPlane, type ThreadDataPlaneOptions } from './thread-data-plane.js';
export { WorkerDataPlane, type WorkerDataPlaneOptions, WORKER_STALL_TIMEOUT_MS } from './workers/worker-data-plane.js';
export { type WorkerScript, setProxyWorkerScript } from './workers/worker-script.js';
export { type WorkerRuntime } from './workers/worker-protocol.js';
export {
  type FastpathRoute,
  type FastpathEndpoint,
  type FastpathState,
  type FastpathStatus,
  type FastpathPortRules,
  type FastpathEndpointRules,
  type NftablesFastpathOptions,
  NftablesFastpath,
  fastpathRoutes,
  buildNftRuleset,
} from './fastpath/index.js';
