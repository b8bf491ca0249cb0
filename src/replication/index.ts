/**
 * replication: the Sidecar layer on top of cluster membership. The delegate carries the
 * catalog in (one Service JSON per gossip message, the full state on push/pull); the
 * replicator carries it out (scheduler batches, peer relays, tombstones for departed nodes).
 * This host's own services have one owner here ({@link LocalServices}): it stamps, merges and
 * announces them, with the send schedules of the broadcast scheduler.
 * Imports only core, catalog and membership.
 */
export { ServicesDelegate, type ServicesDelegateOptions, type ServicesDelegateStats, type OwnRecordDispute } from './services-delegate.js';
export { Replicator, type ReplicatorOptions, type ReplicatorStats } from './replicator.js';
export { type NodeMeta, type MemberDetail, apiMembers, memberDetails, decodeNodeMeta, formatMemberAddress } from './member-details.js';
export { BroadcastScheduler, MAX_RECORDS_PER_TURN, broadcastKey, type OutgoingRecord } from './broadcast-scheduler.js';
export { LocalServices, REFRESH_INTERVAL_MS, type LocalServicesOptions, type LocalDiscovery, type LocalHealth } from './local-services.js';
export { UNDRAIN_HOLD_MS } from './drain-policy.js';
