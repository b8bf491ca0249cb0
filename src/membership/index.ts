/**
 * membership: SWIM + Lifeguard on HashiCorp memberlist's wire protocol, in three parts:
 * - wire/: messages, packet and stream codecs, Go msgpack, LZW, encryption, keyring, label;
 * - transports/: the Transport seam, UDP/TCP (NetTransport) and in-memory (MemoryNetwork);
 * - engine/: the member state machine and the probe/gossip/push-pull engine ({@link Memberlist}),
 *   with its seed joiner, reconnector and the delegate seam.
 * Imports only core. This file is the only door for other folders (replication, daemon, api)
 * and the simulator (sim/): it exports what they use. Tests import the modules they test by path.
 */
export { DEFAULT_VSN, STOCK_MEMBERLIST, goSidecarDialect, type Alive } from './wire/messages.js';
export { Keyring } from './wire/keyring.js';
export { ipToBytes, bytesToIp } from './wire/ip-bytes.js';
export { type PeerAddress, formatPeerAddress } from './transports/transport.js';
export { NetTransport } from './transports/net-transport.js';
export { MemoryNetwork } from './transports/memory-network.js';
export { type MembershipOptions, LAN_MEMBERSHIP_OPTIONS, membershipOptions } from './engine/options.js';
export { suspicionTimeoutMs } from './engine/math.js';
export { seededRandom } from './engine/random.js';
export type { Member, MemberState } from './engine/members.js';
export type { MembershipDelegate, GossipCluster } from './engine/delegate.js';
export { Memberlist, SERF_DELEGATE_VERSIONS } from './engine/memberlist.js';
export type { MembershipStatsSnapshot } from './engine/membership-stats.js';
export { SeedJoiner } from './engine/seed-joiner.js';
export { Reconnector } from './engine/reconnector.js';
