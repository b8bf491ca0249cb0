/**
 * replication: the Sidecar layer on top of cluster membership. The delegate carries the
 * catalog in (one Service JSON per gossip message, the full state on push/pull); the
 * replicator carries it out (scheduler batches, peer relays, tombstones for departed nodes).
 * Imports only core, catalog and membership.
 */
export { ServicesDelegate, type ServicesDelegateOptions, type ServicesDelegateStats, type OwnRecordDispute } from './services-delegate.js';
export { Replicator, type ReplicatorOptions, type ReplicatorStats, broadcastKey } from './replicator.js';
export { type NodeMeta, type MemberDetail, apiMembers, memberDetails, decodeNodeMeta, formatMemberAddress } from './member-details.js';
