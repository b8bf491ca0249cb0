/**
 * proxy: the in-process load balancer — one listener per (service, ServicePort) on the
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
  type RoutingTableDiff,
  EMPTY_ROUTING_TABLE,
  toProxyMode,
  buildRoutingTable,
  diffRoutingTables,
  sameRoute,
} from './routing-table.js';
export { RoundRobin } from './round-robin.js';
export {
  type ProxyEndpoint,
  type EndpointPicker,
  type TcpForwarderOptions,
  type EndpointStats,
  type ForwarderStats,
  TCP_FORWARDER_DEFAULTS,
  TcpForwarder,
} from './tcp-forwarder.js';
export {
  type ProxyRoute,
  type ListenerSetOptions,
  type ListenerState,
  type ListenerStats,
  LISTENER_SET_DEFAULTS,
  ListenerSet,
} from './listener-set.js';
export { LoadBalancer, type LoadBalancerOptions, type ProxyStatus } from './load-balancer.js';
export {
  type HttpForwarderOptions,
  type HttpForwarderStats,
  type HttpEndpointStats,
  type HttpCounters,
  type LatencyHistogram,
  type ResponseClassCounts,
  type HttpErrorCounts,
  type OutlierOptions,
  HTTP_FORWARDER_DEFAULTS,
  OUTLIER_DEFAULTS,
  LATENCY_BUCKETS_MS,
  HttpForwarder,
} from './http/index.js';
export { SlowStartPicker } from './slow-start.js';
export { ConnectionBudget, type ConnectionBudgetOptions, type ConnectionBudgetStats } from './connection-budget.js';
