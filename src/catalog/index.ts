/**
 * catalog: the Sidecar data model (Service, Server, State), its exact JSON encoding, the
 * merge rules and the loops that keep local records fresh. No I/O.
 */
export { ServiceStatus, type StatusCode, statusString } from './status.js';
export {
  type Port,
  type Service,
  isAlive,
  isDraining,
  keepsDraining,
  isTombstone,
  isStale,
  invalidates,
  listenerName,
  serviceVersion,
  portForServicePort,
} from './service.js';
export * as lifespans from './lifespans.js';
export {
  type ServerView,
  type StateView,
  type DecodedState,
  type ServiceEncoder,
  GO_ZERO_TIME,
  serviceToGoJson,
  encodeService,
  stateToGoJson,
  encodeState,
  groupByService,
  byServiceToGoJson,
  decodeService,
  parseService,
  parseState,
  parseJson,
  changeEventToGoJson,
  encodeStateChangedEvent,
  encodeNodeMeta,
} from './codec.js';
export type { ChangeEvent } from './change-event.js';
export type { CheckSpec } from './check-spec.js';
export { ServicesState, type ServicesStateOptions } from './services-state.js';
export { BroadcastScheduler, MAX_RECORDS_PER_TURN } from './broadcast-scheduler.js';
export { LocalServiceSync, type LocalSyncOptions } from './local-sync.js';
export { PROXY_MODES, type KnownProxyMode, normalizeProxyMode, unknownProxyModeMessage } from './proxy-mode.js';
