/**
 * membership: SWIM + Lifeguard on HashiCorp memberlist's wire protocol: the wire layer
 * (messages, packet and stream codecs, LZW, encryption, keyring), the member state machine,
 * the probe/gossip/push-pull engine ({@link Memberlist}), transports and the delegate seam.
 * Imports only core.
 */
export { type WireFailureReason, type WireFailure, type WireSuccess, type WireResult, wireOk, wireFail } from './wire-result.js';
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
} from './messages.js';
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
} from './codec.js';
export { MAX_LZW_RATIO, lzwCompress, lzwDecompress, lzwOutputCap } from './lzw.js';
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
} from './push-pull.js';
export { VALID_KEY_SIZES_BYTES, decodeKeyBase64, Keyring } from './keyring.js';
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
} from './encryption.js';
export { LABEL_MAX_SIZE_BYTES, labelHeader, labelOverhead, readLabelHeader, type Labelled } from './label.js';
export {
  type MembershipOptions,
  type MembershipProfile,
  LAN_MEMBERSHIP_OPTIONS,
  STOCK_LAN_MEMBERSHIP_OPTIONS,
  LOCAL_MEMBERSHIP_OPTIONS,
  membershipOptions,
  validateMembershipOptions,
} from './options.js';
export { suspicionTimeoutMs, retransmitLimit, PUSH_PULL_SCALE_THRESHOLD, pushPullScaleMs } from './math.js';
export { Awareness } from './awareness.js';
export { suspicionTimeoutAfterMs, type SuspicionOptions, Suspicion } from './suspicion.js';
export { type Broadcast, type BroadcastQueueOptions, MIN_QUEUE_DEPTH, BroadcastQueue } from './broadcast-queue.js';
export {
  type MemberState,
  type Member,
  type MemberBroadcast,
  type SuspicionTimeout,
  type AddressConflict,
  type MemberTableOptions,
  MemberTable,
} from './members.js';
export { type PeerAddress, type IncomingPacket, type StreamConnection, type Transport, formatPeerAddress } from './transport.js';
export type { MembershipDelegate, GossipCluster } from './delegate.js';
export { type WireSettings, WireCodec } from './wire-codec.js';
export { type MembershipStatsSnapshot } from './membership-stats.js';
export { type PushPullResult } from './stream-exchange.js';
export { type MemberlistOptions, Memberlist, SERF_DELEGATE_VERSIONS } from './memberlist.js';
export { seededRandom, shuffleInPlace } from './random.js';
export { ipToBytes, bytesToIp } from './ip-bytes.js';
export { type Joinable, type SeedJoinerOptions, parseSeed, SeedJoiner } from './seed-joiner.js';
export { type MemoryNetworkOptions, type PacketDropReason, type MemoryHostStats, MemoryNetwork } from './memory-network.js';
export { MemoryTransport } from './memory-transport.js';
export { type NetTransportOptions, type NetTransportStats, NetTransport } from './net-transport.js';
export { type Reconnectable, type ReconnectorOptions, Reconnector } from './reconnector.js';
