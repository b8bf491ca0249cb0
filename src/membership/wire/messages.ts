/**
 * memberlist's messages as TypeScript types, with the numeric wire types and the Go struct
 * field names mapped once, here (hashicorp/memberlist net.go; NinesStack/memberlist net.go
 * for the fork's ClusterName).
 */
import type { FieldSpec } from './go-msgpack.js';

/**
 * The message type byte of each message (memberlist net.go `messageType`, iota order; the
 * list is append-only). `err` (13) exists only in newer stock memberlist; `hasLabel` (244)
 * prefixes packets and streams when a gossip label is configured (stock ≥ 0.3).
 */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ack: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nack: 11,
  hasCrc: 12,
  err: 13,
  hasLabel: 244,
} as const;

export type MessageTag = keyof typeof MessageType;

const TAG_BY_BYTE = new Map<number, MessageTag>(
  (Object.entries(MessageType) as [MessageTag, number][]).map(([tag, byte]) => [byte, tag]),
);

/** The tag of a type byte, or undefined for a byte memberlist never sends. */
export function messageTagOf(byte: number): MessageTag | undefined {
  return TAG_BY_BYTE.get(byte);
}

/** memberlist `NodeStateType` (state.go): the `State` of a push/pull node record. */
export const NodeStateType = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
export type NodeStateType = (typeof NodeStateType)[keyof typeof NodeStateType];

/** Lowest and highest memberlist protocol versions we understand (net.go). */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 5;
/** The protocol version memberlist speaks by default (and the Go Sidecar uses). */
export const PROTOCOL_VERSION_DEFAULT = 2;
/** `Vsn` as the Go Sidecar advertises it: pmin, pmax, pcur, dmin, dmax, dcur. */
export const DEFAULT_VSN: readonly number[] = [PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_DEFAULT, 0, 0, 0];
/** Largest node metadata memberlist accepts (net.go `MetaMaxSize`), in bytes. */
export const META_MAX_SIZE_BYTES = 512;

/**
 * Which memberlist dialect we speak. With a cluster name: the NinesStack fork the Go Sidecar
 * embeds — alive/suspect/dead and the push/pull header carry `ClusterName`, and ones whose
 * name is missing or different are rejected. With `null`: stock hashicorp/memberlist (serf).
 */
export interface WireDialect {
  readonly clusterName: string | null;
}

export const STOCK_MEMBERLIST: WireDialect = Object.freeze({ clusterName: null });

export function goSidecarDialect(clusterName: string): WireDialect {
  return Object.freeze({ clusterName });
}

/** Direct probe (Go `ping`). The Source* fields are stock-only and omitted when empty. */
export interface Ping {
  readonly type: 'ping';
  readonly seqNo: number;
  /** The name of the node being probed (so a restarted node with a new name does not answer). */
  readonly node: string;
  readonly sourceAddr: Uint8Array;
  readonly sourcePort: number;
  readonly sourceNode: string;
}

/** Probe through a third node (Go `indirectPingReq`). */
export interface IndirectPing {
  readonly type: 'indirectPing';
  readonly seqNo: number;
  readonly target: Uint8Array;
  readonly port: number;
  readonly node: string;
  /** True when the requester wants a nack if the target does not answer (protocol ≥ 4). */
  readonly nack: boolean;
  readonly sourceAddr: Uint8Array;
  readonly sourcePort: number;
  readonly sourceNode: string;
}

export interface Ack {
  readonly type: 'ack';
  readonly seqNo: number;
  readonly payload: Uint8Array;
}

export interface Nack {
  readonly type: 'nack';
  readonly seqNo: number;
}

export interface Suspect {
  readonly type: 'suspect';
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

export interface Alive {
  readonly type: 'alive';
  readonly incarnation: number;
  readonly node: string;
  /** IPv4 as 4 bytes (memberlist converts with To4), IPv6 as 16. */
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array;
  /** pmin, pmax, pcur, dmin, dmax, dcur (Go `[]uint8`, so raw bytes on the wire). */
  readonly vsn: Uint8Array;
}

export interface Dead {
  readonly type: 'dead';
  readonly incarnation: number;
  readonly node: string;
  /** Who declared it; equal to `node` for a graceful leave. */
  readonly from: string;
}

/** A delegate message: on UDP the bytes follow the type byte with no msgpack around them. */
export interface User {
  readonly type: 'user';
  readonly payload: Uint8Array;
}

/** Stock memberlist's error reply on a stream (`errResp`). */
export interface ErrResp {
  readonly type: 'err';
  readonly error: string;
}

/** A message that travels in a UDP packet (alone or inside a compound). */
export type PacketMessage = Ping | IndirectPing | Ack | Nack | Suspect | Alive | Dead | User;

/** Every msgpack-bodied message (all but `user`), with its struct layout. */
export type StructMessage = Exclude<PacketMessage, User> | ErrResp;

/** A Go struct field plus the TypeScript property that holds it. */
export interface MappedField extends FieldSpec {
  readonly key: string;
}

const SOURCE_FIELDS: readonly MappedField[] = [
  { key: 'sourceAddr', wire: 'SourceAddr', kind: 'bytes', omitEmpty: true },
  { key: 'sourcePort', wire: 'SourcePort', kind: 'uint16', omitEmpty: true },
  { key: 'sourceNode', wire: 'SourceNode', kind: 'string', omitEmpty: true },
];

/** `suspect` and `dead` are the same Go struct shape: who, at which incarnation, accused by whom. */
const ACCUSATION_FIELDS: readonly MappedField[] = [
  { key: 'incarnation', wire: 'Incarnation', kind: 'uint32' },
  { key: 'node', wire: 'Node', kind: 'string' },
  { key: 'from', wire: 'From', kind: 'string' },
];

/** The Go struct of each msgpack-bodied message, without the fork's ClusterName. */
export const STRUCT_FIELDS: { readonly [T in StructMessage['type']]: readonly MappedField[] } = {
  ping: [{ key: 'seqNo', wire: 'SeqNo', kind: 'uint32' }, { key: 'node', wire: 'Node', kind: 'string' }, ...SOURCE_FIELDS],
  indirectPing: [
    { key: 'seqNo', wire: 'SeqNo', kind: 'uint32' },
    { key: 'target', wire: 'Target', kind: 'bytes' },
    { key: 'port', wire: 'Port', kind: 'uint16' },
    { key: 'node', wire: 'Node', kind: 'string' },
    { key: 'nack', wire: 'Nack', kind: 'bool' },
    ...SOURCE_FIELDS,
  ],
  ack: [{ key: 'seqNo', wire: 'SeqNo', kind: 'uint32' }, { key: 'payload', wire: 'Payload', kind: 'bytes' }],
  nack: [{ key: 'seqNo', wire: 'SeqNo', kind: 'uint32' }],
  suspect: ACCUSATION_FIELDS,
  alive: [
    { key: 'incarnation', wire: 'Incarnation', kind: 'uint32' },
    { key: 'node', wire: 'Node', kind: 'string' },
    { key: 'addr', wire: 'Addr', kind: 'bytes' },
    { key: 'port', wire: 'Port', kind: 'uint16' },
    { key: 'meta', wire: 'Meta', kind: 'bytes' },
    { key: 'vsn', wire: 'Vsn', kind: 'bytes' },
  ],
  dead: ACCUSATION_FIELDS,
  err: [{ key: 'error', wire: 'Error', kind: 'string' }],
};

/** The messages to which the fork adds `ClusterName` (plus the push/pull header). */
export const CLUSTER_NAMED: ReadonlySet<StructMessage['type']> = new Set(['alive', 'suspect', 'dead']);

export const CLUSTER_NAME_FIELD: MappedField = { key: 'clusterName', wire: 'ClusterName', kind: 'string' };

/** Protocol and delegate versions from a `Vsn` (null when shorter than memberlist's 6). */
export interface Versions {
  readonly pMin: number;
  readonly pMax: number;
  readonly pCur: number;
  readonly dMin: number;
  readonly dMax: number;
  readonly dCur: number;
}

export function parseVsn(vsn: Uint8Array): Versions | null {
  if (vsn.length < 6) return null;
  const [pMin = 0, pMax = 0, pCur = 0, dMin = 0, dMax = 0, dCur = 0] = vsn;
  return { pMin, pMax, pCur, dMin, dMax, dCur };
}

export function encodeVsn(v: Versions): Uint8Array {
  return Uint8Array.of(v.pMin, v.pMax, v.pCur, v.dMin, v.dMax, v.dCur);
}
