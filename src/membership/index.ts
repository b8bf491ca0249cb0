/**
 * membership: SWIM + Lifeguard on HashiCorp memberlist's wire protocol: the wire layer
 * (messages, packet and stream codecs, LZW, encryption, keyring), the member state machine,
 * the probe/gossip/push-pull engine ({@link Memberlist}), transports and the delegate seam.
 * Imports only core.
 */
export { type WireFailureReason, type WireFailure, type WireSuccess, type WireResult, wireOk, wireFail } from './wire/wire-result.js';
export {
  MessageType,
  type MessageTag,
  messageTagOf,
  NodeStateType,
  PROTOCOL_VERSION_MIN,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_DEFAULT,
  DEFAULT_VSN,
  META_MAX_SIZE_BYTES,
  type WireDialect,
  STOCK_MEMBERLIST,
  goSidecarDialect,
  type Ping,
  type IndirectPing,
  type Ack,
  type Nack,
  type Suspect,
  type Alive,
  type Dead,
  type User,
  type ErrResp,
  type PacketMessage,
  type StructMessage,
  type Versions,
  parseVsn,
  encodeVsn,
} from './wire/messages.js';
export {
  MAX_COMPOUND_PARTS,
  MAX_COMPOUND_PART_BYTES,
  MAX_PACKET_DECOMPRESSED_BYTES,
  encodeMessage,
  decodeMessage,
  encodeCompound,
  decodeCompound,
  type CompoundParts,
  addCrc,
  compressMessage,
  decompressBody,
  type PacketOptions,
  encodePacket,
  type PacketDecodeOptions,
  type DecodedPacket,
  decodePacket,
} from './wire/codec.js';
export { MAX_LZW_RATIO, lzwCompress, lzwDecompress, lzwOutputCap } from './wire/lzw.js';
export {
  type PushNodeState,
  type PushPull,
  type StreamUser,
  type StreamMessage,
  type StreamLimits,
  DEFAULT_STREAM_LIMITS,
  encodeStreamMessage,
  type StreamOptions,
  encodeStream,
  type StreamDecodeOptions,
  type StreamReadResult,
  readStream,
} from './wire/push-pull.js';
export { VALID_KEY_SIZES_BYTES, decodeKeyBase64, Keyring } from './wire/keyring.js';
export {
  type EncryptionVersion,
  encryptOverhead,
  encryptedLength,
  encryptPayload,
  decryptPayload,
  encryptPacket,
  decryptPacket,
  encryptStream,
  decryptStream,
} from './wire/encryption.js';
export { LABEL_MAX_SIZE_BYTES, labelHeader, labelOverhead, readLabelHeader, type Labelled } from './wire/label.js';
export {
  type MembershipOptions,
  type MembershipProfile,
  LAN_MEMBERSHIP_OPTIONS,
  STOCK_LAN_MEMBERSHIP_OPTIONS,
  LOCAL_MEMBERSHIP_OPTIONS,
  membershipOptions,
  validateMembershipOptions,
} from './engine/options.js';
export { suspicionTimeoutMs, retransmitLimit, PUSH_PULL_SCALE_THRESHOLD, pushPullScaleMs } from './engine/math.js';
export { Awareness } from './engine/awareness.js';
export { suspicionTimeoutAfterMs, type SuspicionOptions, Suspicion } from './engine/suspicion.js';
export { type Broadcast, type BroadcastQueueOptions, MIN_QUEUE_DEPTH, BroadcastQueue } from './engine/broadcast-queue.js';
export {
  type MemberState,
  type Member,
  type MemberBroadcast,
  type SuspicionTimeout,
  type AddressConflict,
  type MemberTableOptions,
  MemberTable,
} from './engine/members.js';
export { type PeerAddress, type IncomingPacket, type StreamConnection, type Transport, formatPeerAddress } from './transports/transport.js';
export type { MembershipDelegate, GossipCluster } from './engine/delegate.js';
export { type WireSettings, WireCodec } from './wire/wire-codec.js';
export { type MembershipStatsSnapshot } from './engine/membership-stats.js';
export { type PushPullResult } from './engine/stream-exchange.js';
export { type MemberlistOptions, Memberlist, SERF_DELEGATE_VERSIONS } from './engine/memberlist.js';
export { seededRandom, shuffleInPlace } from './engine/random.js';
export { ipToBytes, bytesToIp } from './wire/ip-bytes.js';
export { type Joinable, type SeedJoinerOptions, parseSeed, SeedJoiner } from './engine/seed-joiner.js';
export { type MemoryNetworkOptions, type PacketDropReason, type MemoryHostStats, MemoryNetwork } from './transports/memory-network.js';
export { MemoryTransport } from './transports/memory-transport.js';
export { type NetTransportOptions, type NetTransportStats, NetTransport } from './transports/net-transport.js';
export { type Reconnectable, type ReconnectorOptions, Reconnector } from './engine/reconnector.js';
