/**
 * catalog: the Sidecar data model (Service, Server, State), its exact JSON encoding and the
 * merge rules. No I/O and no timers (the send schedules are replication's).
 */
export { ServiceStatus, type StatusCode, statusString, statusName } from './status.js';
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
  type ServiceJsonTemplate,
  serviceJsonTemplate,
  serviceJsonWithUpdated,
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
  stateChangedEventToGoJson,
  encodeNodeMeta,
} from './codec.js';
export type { ChangeEvent, ChangeCause } from './change-event.js';
export type { CheckSpec } from './check-spec.js';
export { ServicesState, type ServicesStateOptions } from './services-state.js';
export { StateJson, type VersionedStateView } from './state-json.js';
export type { UndrainOutcome } from './undrain-outcome.js';
export { PROXY_MODES, type KnownProxyMode, normalizeProxyMode, unknownProxyModeMessage } from './proxy-mode.js';
