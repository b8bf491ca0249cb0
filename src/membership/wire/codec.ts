/**
 * Packets on memberlist's wire: single messages (type byte + msgpack body), compound
 * messages, the CRC wrapper, LZW compression, encryption and the label header, in the order
 * memberlist applies them (net.go `rawSendMsgPacket` / `ingestPacket` / `handleCommand`):
 * send = message or compound → compress (only if smaller) → CRC (peer pmax ≥ 5) → encrypt →
 * label; receive undoes them in reverse. Decoding never throws on bad bytes.
 */
import { crc32 } from 'node:zlib';
import { GoMsgpackWriter, readFields, readGoStruct, writeGoStruct, type FieldSpec, type FieldValue } from './go-msgpack.js';
import { lzwCompress, lzwDecompress, lzwOutputCap } from './lzw.js';
import { decryptPacket, encryptPacket, type EncryptionVersion } from './encryption.js';
import type { Keyring } from './keyring.js';
import { labelHeader, readLabelHeader } from './label.js';
import {
  CLUSTER_NAME_FIELD,
  CLUSTER_NAMED,
  MessageType,
  STRUCT_FIELDS,
  messageTagOf,
  type MappedField,
  type PacketMessage,
  type StructMessage,
  type WireDialect,
} from './messages.js';
import { type WireFailure, type WireResult, wireFail, wireOk } from './wire-result.js';

/** Most parts in one compound message (the count is one byte). */
export const MAX_COMPOUND_PARTS = 255;
/** Largest part of a compound message (lengths are uint16), in bytes. */
export const MAX_COMPOUND_PART_BYTES = 0xffff;
/** Compression algorithm ids of the compress message (`compressionType`). */
export const COMPRESSION_LZW = 0;
/**
 * Most bytes all the compress messages of one UDP packet may inflate to, together. A sender
 * compresses what it built for one datagram (memberlist and the Go Sidecar: at most
 * `UDPBufferSize`, 1,400 bytes by default), and no datagram is larger than 65,507 bytes, so
 * nothing legitimate inflates past 64 KiB. memberlist inflates each compress part without a
 * limit (util.go `decompressBuffer`: io.Copy) and any number of parts; our earlier cap of
 * 1 MiB per part still let one 64 KB datagram of ~30 bombs cost 30 MiB of output. This budget
 * is shared by every part of the packet, and LZW decoding stops the moment it is spent.
 */
export const MAX_PACKET_DECOMPRESSED_BYTES = 64 * 1024;
/**
 * Most messages one packet may carry, counted across its compound parts. memberlist puts at
 * most 255 messages in one compound and sends one compound per datagram.
 */
export const MAX_PACKET_MESSAGES = MAX_COMPOUND_PARTS;
/**
 * How many compound/compress wrappers may nest. memberlist sends at most compress → compound
 * → message (2); a compress inside a compress and a compound inside a compound are never sent
 * and are refused (memberlist decodes any nesting, which is what made bombs of bombs cheap).
 */
export const MAX_PACKET_NESTING = 2;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The fields of each message type with the cluster name added (the same array every time: writeGoStruct caches by it). */
const WITH_CLUSTER_NAME = new Map<StructMessage['type'], readonly MappedField[]>();

function fieldsFor(type: StructMessage['type'], dialect: WireDialect): readonly MappedField[] {
  const base = STRUCT_FIELDS[type];
  if (dialect.clusterName === null || !CLUSTER_NAMED.has(type)) return base;
  let fields = WITH_CLUSTER_NAME.get(type);
  if (fields === undefined) {
    fields = [...base, CLUSTER_NAME_FIELD];
    WITH_CLUSTER_NAME.set(type, fields);
  }
  return fields;
}

/** Writes the msgpack body of a struct message (without the type byte). */
export function writeStructBody(w: GoMsgpackWriter, msg: StructMessage, dialect: WireDialect): void {
  const fields = fieldsFor(msg.type, dialect);
  const record = msg as unknown as Readonly<Record<string, FieldValue>>;
  const values = new Map<string, FieldValue>();
  for (const f of fields) {
    const v = f === CLUSTER_NAME_FIELD ? dialect.clusterName : record[f.key];
    if (v === undefined || v === null) throw new RangeError(`${msg.type}: missing ${f.key}`);
    values.set(f.wire, v);
  }
  writeGoStruct(w, fields, values);
}

/** One message as memberlist sends it: its type byte, then its msgpack body (user: raw bytes). */
export function encodeMessage(msg: PacketMessage | StructMessage, dialect: WireDialect): Uint8Array {
  const w = new GoMsgpackWriter().byte(MessageType[msg.type]);
  if (msg.type === 'user') return w.raw(msg.payload).finish();
  writeStructBody(w, msg, dialect);
  return w.finish();
}

/**
 * Decodes a struct message body. With a cluster name in the dialect, alive/suspect/dead whose
 * ClusterName is missing or different come back as `clusterRejected`.
 */
export function decodeStructBody<T extends StructMessage['type']>(
  type: T,
  body: Uint8Array,
  dialect: WireDialect,
): WireResult<Extract<StructMessage, { type: T }>> {
  const map = readGoStruct(body);
  if (!map.ok) return map;
  const fields = fieldsFor(type, dialect);
  const values = readFields(map.value, fields);
  if (!values.ok) return wireFail(values.reason, `${type}: ${values.detail}`);
  if (dialect.clusterName !== null && CLUSTER_NAMED.has(type)) {
    const theirs = map.value.has('ClusterName') ? values.value.get('ClusterName') : undefined;
    if (theirs !== dialect.clusterName) {
      return wireFail('clusterRejected', `Cluster names do not match: ${theirs === undefined ? '(none)' : String(theirs)} <-> ${dialect.clusterName}`);
    }
  }
  const out: Record<string, FieldValue> = { type };
  for (const f of STRUCT_FIELDS[type]) out[f.key] = values.value.get(f.wire) as FieldValue;
  return wireOk(out as unknown as Extract<StructMessage, { type: T }>);
}

/** Decodes one message (type byte + body) that may appear in a packet. */
export function decodeMessage(buf: Uint8Array, dialect: WireDialect): WireResult<PacketMessage> {
  if (buf.length < 1) return wireFail('truncated', 'missing message type byte');
  const tag = messageTagOf(buf[0] ?? 0);
  const body = buf.subarray(1);
  switch (tag) {
    case 'user':
      return wireOk({ type: 'user', payload: body.slice() });
    case 'ping':
    case 'indirectPing':
    case 'ack':
    case 'nack':
    case 'suspect':
    case 'alive':
    case 'dead':
      return decodeStructBody(tag, body, dialect);
    default:
      return wireFail('unknownType', `message type ${buf[0] ?? 0} not supported in a packet`);
  }
}

/**
 * Packs encoded messages into compound messages: `[7][count][uint16 BE length × count][bodies]`,
 * at most 255 per compound (memberlist `makeCompoundMessages`).
 */
export function encodeCompound(messages: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < messages.length; i += MAX_COMPOUND_PARTS) {
    const batch = messages.slice(i, i + MAX_COMPOUND_PARTS);
    const header = new Uint8Array(2 + 2 * batch.length);
    const view = new DataView(header.buffer);
    header[0] = MessageType.compound;
    header[1] = batch.length;
    batch.forEach((m, j) => {
      if (m.length > MAX_COMPOUND_PART_BYTES) throw new RangeError(`compound part of ${m.length} bytes`);
      view.setUint16(2 + 2 * j, m.length);
    });
    out.push(concat(header, ...batch));
  }
  return out;
}

export interface CompoundParts {
  readonly parts: Uint8Array[];
  /** Parts announced but cut off (memberlist logs and handles the rest). */
  readonly truncated: number;
}

/** Splits a compound body (after its type byte), as memberlist `decodeCompoundMessage`. */
export function decodeCompound(body: Uint8Array): WireResult<CompoundParts> {
  if (body.length < 1) return wireFail('truncated', 'missing compound length byte');
  const count = body[0] ?? 0;
  if (body.length < 1 + 2 * count) return wireFail('truncated', 'truncated compound length slice');
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 1 + 2 * count;
  for (let i = 0; i < count; i++) {
    const len = view.getUint16(1 + 2 * i);
    if (body.length < offset + len) return wireOk({ parts, truncated: count - i });
    parts.push(body.subarray(offset, offset + len));
    offset += len;
  }
  return wireOk({ parts, truncated: 0 });
}

/** `[12][CRC-32 IEEE of the rest, uint32 BE]` + the packet (sent when the peer's pmax ≥ 5). */
export function addCrc(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + packet.length);
  out[0] = MessageType.hasCrc;
  new DataView(out.buffer).setUint32(1, crc32(packet) >>> 0);
  out.set(packet, 5);
  return out;
}

const COMPRESS_FIELDS: readonly FieldSpec[] = [{ wire: 'Algo', kind: 'uint8' }, { wire: 'Buf', kind: 'bytes' }];

/** The compress message: `[9]` + msgpack `{Algo: 0, Buf: <LZW of payload>}`. */
export function compressMessage(payload: Uint8Array): Uint8Array {
  const w = new GoMsgpackWriter().byte(MessageType.compress);
  writeGoStruct(w, COMPRESS_FIELDS, new Map<string, FieldValue>([['Algo', COMPRESSION_LZW], ['Buf', lzwCompress(payload)]]));
  return w.finish();
}

/** Decodes a compress body (after its type byte) and inflates it. */
export function decompressBody(body: Uint8Array, maxBytes: number): WireResult<Uint8Array> {
  const map = readGoStruct(body);
  if (!map.ok) return map;
  const fields = readFields(map.value, [{ wire: 'Algo', kind: 'uint8' }, { wire: 'Buf', kind: 'bytes' }]);
  if (!fields.ok) return fields;
  const algo = fields.value.get('Algo');
  if (algo !== COMPRESSION_LZW) return wireFail('badCompression', `cannot decompress unknown algorithm ${String(algo)}`);
  return lzwDecompress(fields.value.get('Buf') as Uint8Array, maxBytes);
}

/** How to wrap an outgoing packet. */
export interface PacketOptions {
  /** LZW-compress, used only when smaller (memberlist `EnableCompression`, default on). */
  readonly compress: boolean;
  /** Prepend the CRC header; memberlist does when the peer's max protocol is ≥ 5. */
  readonly crc: boolean;
  /** Encrypt with the primary key when set. */
  readonly keyring?: Keyring | null;
  /** Encryption version: 1 (no padding) unless speaking protocol version 1. */
  readonly encryptionVersion?: EncryptionVersion;
  /** Gossip label (stock memberlist ≥ 0.3); '' sends none. */
  readonly label?: string;
}

/** Wraps one message or compound for UDP. */
export function encodePacket(payload: Uint8Array, options: PacketOptions): Uint8Array {
  let msg = payload;
  if (options.compress) {
    const compressed = compressMessage(msg);
    if (compressed.length < msg.length) msg = compressed;
  }
  if (options.crc) msg = addCrc(msg);
  const label = options.label ?? '';
  if (options.keyring) msg = encryptPacket(options.keyring, options.encryptionVersion ?? 1, msg, label);
  return label === '' ? msg : concat(labelHeader(label), msg);
}

/** How to read incoming packets. */
export interface PacketDecodeOptions {
  readonly dialect: WireDialect;
  readonly keyring?: Keyring | null;
  /** With a keyring: drop packets that do not decrypt (memberlist `GossipVerifyIncoming`, default true). */
  readonly verifyIncoming?: boolean;
  /** Our label; packets with another (or none, when ours is set) are dropped. */
  readonly label?: string;
  /** Most bytes the whole packet may inflate to, in bytes; default {@link MAX_PACKET_DECOMPRESSED_BYTES}. */
  readonly maxDecompressedBytes?: number;
}

/** What one packet held: every message that decoded, and why each other part was dropped. */
export interface DecodedPacket {
  readonly messages: PacketMessage[];
  readonly dropped: WireFailure[];
}

/**
 * Decodes a UDP packet. Fails as a whole on label, decryption or CRC errors; otherwise each
 * part of a compound stands alone (as in memberlist), so one bad part does not drop the rest.
 * A packet that asks for more than its inflation budget, nesting or message count is dropped
 * from that point on (one failure, not one per part).
 */
export function decodePacket(packet: Uint8Array, options: PacketDecodeOptions): WireResult<DecodedPacket> {
  const labelled = readLabelHeader(packet);
  if (labelled === 'incomplete') return wireFail('truncated', 'cannot decode label; packet has been truncated');
  if (!labelled.ok) return labelled;
  const label = options.label ?? '';
  if (labelled.value.label !== label) return wireFail('badLabel', `discarding packet with unacceptable label ${JSON.stringify(labelled.value.label)}`);
  let buf = packet.subarray(labelled.value.offset);
  if (options.keyring) {
    const plain = decryptPacket(options.keyring, buf, label);
    if (plain.ok) buf = plain.value;
    else if (options.verifyIncoming ?? true) {
      // An encrypted payload starts with its version (0 or 1); anything else is a plaintext message type.
      const first = buf[0] ?? 0;
      return first > 1 ? wireFail('encryptionMismatch', `plaintext packet (message type ${first}) while encryption is on`) : plain;
    }
  }
  if (buf.length >= 5 && buf[0] === MessageType.hasCrc) {
    const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
    const rest = buf.subarray(5);
    const actual = crc32(rest) >>> 0;
    if (actual !== expected) return wireFail('badCrc', `invalid checksum ${actual.toString(16)}, expected ${expected.toString(16)}`);
    buf = rest;
  }
  const walk: PacketWalk = {
    options,
    messages: [],
    dropped: [],
    // The budget also follows the packet's size (MAX_LZW_RATIO), so small bombs buy little.
    inflateLeft: lzwOutputCap(packet.length, options.maxDecompressedBytes ?? MAX_PACKET_DECOMPRESSED_BYTES),
    partsLeft: MAX_PACKET_MESSAGES,
    refused: false,
  };
  handleCommand(buf, walk, 0, false);
  return wireOk({ messages: walk.messages, dropped: walk.dropped });
}

/** The state of decoding one packet: what came out and what is left of its budgets. */
interface PacketWalk {
  readonly options: PacketDecodeOptions;
  readonly messages: PacketMessage[];
  readonly dropped: WireFailure[];
  /** Inflated bytes the rest of the packet may still produce. */
  inflateLeft: number;
  /** Messages the rest of the packet may still hold. */
  partsLeft: number;
  /** Set once the packet broke a limit: the rest of it is not looked at. */
  refused: boolean;
}

function refuse(walk: PacketWalk, failure: WireFailure): void {
  walk.refused = true;
  walk.dropped.push(failure);
}

function handleCommand(buf: Uint8Array, walk: PacketWalk, depth: number, inCompress: boolean): void {
  if (walk.refused) return;
  if (buf.length < 1) {
    walk.dropped.push(wireFail('truncated', 'missing message type byte'));
    return;
  }
  const type = buf[0];
  if (type === MessageType.compound || type === MessageType.compress) {
    if (depth >= MAX_PACKET_NESTING) return refuse(walk, wireFail('oversized', `compound/compress nested deeper than ${MAX_PACKET_NESTING}`));
    if (type === MessageType.compound) {
      const split = decodeCompound(buf.subarray(1));
      if (!split.ok) return void walk.dropped.push(split);
      if (split.value.truncated > 0) walk.dropped.push(wireFail('truncated', `compound had ${split.value.truncated} truncated messages`));
      for (const part of split.value.parts) {
        if (part[0] === MessageType.compound) return refuse(walk, wireFail('malformed', 'compound inside a compound'));
        handleCommand(part, walk, depth + 1, inCompress);
        if (walk.refused) return;
      }
      return;
    }
    if (inCompress) return refuse(walk, wireFail('malformed', 'compress inside a compress'));
    const inflated = decompressBody(buf.subarray(1), walk.inflateLeft);
    if (!inflated.ok) return inflated.reason === 'oversized' ? refuse(walk, inflated) : void walk.dropped.push(inflated);
    walk.inflateLeft -= inflated.value.length;
    handleCommand(inflated.value, walk, depth + 1, true);
    return;
  }
  if (walk.partsLeft <= 0) return refuse(walk, wireFail('oversized', `more than ${MAX_PACKET_MESSAGES} messages in one packet`));
  walk.partsLeft -= 1;
  const msg = decodeMessage(buf, walk.options.dialect);
  if (msg.ok) walk.messages.push(msg.value);
  else walk.dropped.push(msg);
}
