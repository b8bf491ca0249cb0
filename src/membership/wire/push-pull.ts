/**
 * memberlist's TCP streams (net.go `sendLocalState`, `readStream`, `readRemoteState`,
 * `sendUserMsg`, `sendPingAndWaitForAck`): one message per direction, laid out as
 *
 *   [label header, optional] ( [10][uint32 BE len][encrypted payload] | plain )
 *   plain = [9] msgpack{Algo, Buf: LZW(inner)}   (memberlist compresses every stream)
 *         | inner
 *   inner = [6] header node×Nodes userState      (push/pull)
 *         | [8] msgpack{UserMsgLen} bytes         (reliable user message)
 *         | [0] ping | [2] ack | [13] err         (TCP fallback probe; stock error reply)
 *
 * The push/pull header is {Nodes, UserStateLen, Join} plus the fork's ClusterName; each node
 * is {Name, Addr, Port, Meta, Incarnation, State, Vsn}. {@link readStream} works on the bytes
 * received so far and says `incomplete` until a whole message is there.
 */
import { GoMsgpackWriter, msgpackObjectScan, readFields, readGoStruct, writeGoRecord, writeGoStruct, type FieldSpec, type FieldValue } from './go-msgpack.js';
import { COMPRESSION_LZW, compressMessage, decodeStructBody, writeStructBody } from './codec.js';
import { lzwDecompress, lzwOutputCap } from './lzw.js';
import { decryptStream, encryptStream, type EncryptionVersion } from './encryption.js';
import type { Keyring } from './keyring.js';
import { labelHeader, readLabelHeader } from './label.js';
import { MessageType, messageTagOf, type Ack, type ErrResp, type Ping, type WireDialect } from './messages.js';
import { type WireFailure, type WireResult, wireFail, wireOk } from './wire-result.js';

/** One node of a push/pull (Go `pushNodeState`). */
export interface PushNodeState {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array;
  readonly incarnation: number;
  /** memberlist `NodeStateType`: see `NodeStateType` (alive 0, suspect 1, dead 2, left 3). */
  readonly state: number;
  readonly vsn: Uint8Array;
}

export interface PushPull {
  readonly type: 'pushPull';
  /** True when sent by a node joining (memberlist `Join`). */
  readonly join: boolean;
  readonly nodes: readonly PushNodeState[];
  /** The delegate's LocalState (the Go Sidecar: its state JSON). */
  readonly userState: Uint8Array;
}

/** A user message sent reliably over TCP. */
export interface StreamUser {
  readonly type: 'user';
  readonly payload: Uint8Array;
}

export type StreamMessage = PushPull | StreamUser | Ping | Ack | ErrResp;

/** Size limits on what a peer may make us buffer and inflate (see MembershipOptions for the defaults and why). */
export interface StreamLimits {
  /**
   * Largest stream message as sent (encrypted, compressed or plain), in bytes; also caps a
   * declared push/pull user state or user message. Checked against declared lengths before
   * anything is buffered for them.
   */
  readonly maxStateBytes: number;
  /** Most node records in one push/pull (memberlist `maxPushStateNodes`, 1 Mi). */
  readonly maxNodes: number;
  /** Largest decompressed stream message, in bytes; LZW decoding stops there. */
  readonly maxDecompressedBytes: number;
}

/** 16 MiB on the wire, 32 MiB inflated: {@link MembershipOptions} says why. */
export const DEFAULT_STREAM_LIMITS: StreamLimits = Object.freeze({
  maxStateBytes: 16 * 1024 * 1024,
  maxNodes: 1024 * 1024,
  maxDecompressedBytes: 32 * 1024 * 1024,
});

const HEADER_FIELDS: readonly FieldSpec[] = [
  { wire: 'Nodes', kind: 'int' },
  { wire: 'UserStateLen', kind: 'int' },
  { wire: 'Join', kind: 'bool' },
];
const CLUSTER_NAME: FieldSpec = { wire: 'ClusterName', kind: 'string' };
type NodeField = FieldSpec & { readonly key: keyof PushNodeState };
const NODE_FIELDS: readonly NodeField[] = [
  { key: 'name', wire: 'Name', kind: 'string' },
  { key: 'addr', wire: 'Addr', kind: 'bytes' },
  { key: 'port', wire: 'Port', kind: 'uint16' },
  { key: 'meta', wire: 'Meta', kind: 'bytes' },
  { key: 'incarnation', wire: 'Incarnation', kind: 'uint32' },
  { key: 'state', wire: 'State', kind: 'int' },
  { key: 'vsn', wire: 'Vsn', kind: 'bytes' },
];
const USER_HEADER: readonly FieldSpec[] = [{ wire: 'UserMsgLen', kind: 'int' }];

const HEADER_FIELDS_WITH_CLUSTER_NAME: readonly FieldSpec[] = [...HEADER_FIELDS, CLUSTER_NAME];

function headerFields(dialect: WireDialect): readonly FieldSpec[] {
  return dialect.clusterName === null ? HEADER_FIELDS : HEADER_FIELDS_WITH_CLUSTER_NAME;
}

/** The plaintext of a stream message, starting with its type byte. */
export function encodeStreamMessage(msg: StreamMessage, dialect: WireDialect): Uint8Array {
  const w = new GoMsgpackWriter().byte(MessageType[msg.type]);
  switch (msg.type) {
    case 'pushPull': {
      const header = new Map<string, FieldValue>([
        ['Nodes', msg.nodes.length],
        ['UserStateLen', msg.userState.length],
        ['Join', msg.join],
      ]);
      if (dialect.clusterName !== null) header.set('ClusterName', dialect.clusterName);
      writeGoStruct(w, headerFields(dialect), header);
      for (const node of msg.nodes) {
        writeGoRecord(w, NODE_FIELDS, (f) => node[f.key]);
      }
      return w.raw(msg.userState).finish();
    }
    case 'user':
      writeGoStruct(w, USER_HEADER, new Map([['UserMsgLen', msg.payload.length]]));
      return w.raw(msg.payload).finish();
    default:
      writeStructBody(w, msg, dialect);
      return w.finish();
  }
}

/** How to wrap an outgoing stream message. */
export interface StreamOptions {
  readonly dialect: WireDialect;
  /** memberlist compresses every stream message when `EnableCompression` (default on). */
  readonly compress: boolean;
  readonly keyring?: Keyring | null;
  readonly encryptionVersion?: EncryptionVersion;
  readonly label?: string;
}

/** The bytes to write on a fresh TCP connection for `msg`. */
export function encodeStream(msg: StreamMessage, options: StreamOptions): Uint8Array {
  let buf = encodeStreamMessage(msg, options.dialect);
  if (options.compress) buf = compressMessage(buf);
  const label = options.label ?? '';
  if (options.keyring) buf = encryptStream(options.keyring, options.encryptionVersion ?? 1, buf, label);
  const header = labelHeader(label);
  if (header.length === 0) return buf;
  const out = new Uint8Array(header.length + buf.length);
  out.set(header);
  out.set(buf, header.length);
  return out;
}

export interface StreamDecodeOptions {
  readonly dialect: WireDialect;
  readonly keyring?: Keyring | null;
  /** With a keyring: refuse plaintext streams (memberlist `GossipVerifyIncoming`, default true). */
  readonly verifyIncoming?: boolean;
  readonly label?: string;
  readonly limits?: StreamLimits;
  /**
   * Where an earlier call on a shorter prefix of the same stream got to in a plain push/pull,
   * so node records are scanned once however the bytes arrive (pass the same object each call).
   */
  readonly cursor?: StreamCursor;
}

/** Progress through a plain push/pull's node records, kept between calls on a growing buffer. */
export interface StreamCursor {
  /** End offset of each node record found so far (relative to the message's type byte). */
  nodeEnds: number[];
}

export type StreamReadResult =
  /** `needBytes`: the least buffer length that can make progress (more bytes before that are useless). */
  | { readonly status: 'incomplete'; readonly needBytes: number }
  | { readonly status: 'done'; readonly message: StreamMessage; readonly consumed: number }
  | { readonly status: 'failed'; readonly failure: WireFailure };

const incomplete = (needBytes: number): StreamReadResult => ({ status: 'incomplete', needBytes });
const failed = (failure: WireFailure): StreamReadResult => ({ status: 'failed', failure });
/** Shifts an incomplete result of a reader working at offset `by`. */
const shifted = (r: StreamReadResult, by: number): StreamReadResult => (r.status === 'incomplete' ? incomplete(r.needBytes + by) : r);

/**
 * Reads one stream message from the bytes received so far (from the start of the connection).
 * Call again with more bytes while it says `incomplete`; stop on `done` or `failed`. A length
 * declared above the limits fails at once, before its bytes arrive.
 */
export function readStream(buf: Uint8Array, options: StreamDecodeOptions): StreamReadResult {
  const limits = options.limits ?? DEFAULT_STREAM_LIMITS;
  const labelled = readLabelHeader(buf);
  if (labelled === 'incomplete') return incomplete(buf.length + 1);
  if (!labelled.ok) return failed(labelled);
  const label = options.label ?? '';
  if (labelled.value.label !== label) {
    return failed(wireFail('badLabel', `discarding stream with unacceptable label ${JSON.stringify(labelled.value.label)}`));
  }
  const start = labelled.value.offset;
  if (buf.length <= start) return incomplete(start + 1);
  if (buf[start] === MessageType.encrypt) {
    if (!options.keyring) return failed(wireFail('encryptionMismatch', 'remote state is encrypted and encryption is not configured'));
    if (buf.length < start + 5) return incomplete(start + 5);
    const header = buf.subarray(start, start + 5);
    const length = new DataView(header.buffer, header.byteOffset, 5).getUint32(1);
    if (length > limits.maxStateBytes) return failed(wireFail('oversized', `remote node state is larger than limit (${length} > ${limits.maxStateBytes} bytes)`));
    if (buf.length < start + 5 + length) return incomplete(start + 5 + length);
    const plain = decryptStream(options.keyring, header, buf.subarray(start + 5, start + 5 + length), label);
    if (!plain.ok) return failed(plain);
    const inner = readPlain(plain.value, options, limits, false);
    if (inner.status === 'incomplete') return failed(wireFail('truncated', 'encrypted stream message is truncated'));
    return inner.status === 'done' ? { ...inner, consumed: start + 5 + length } : inner;
  }
  if (options.keyring && (options.verifyIncoming ?? true)) {
    return failed(wireFail('encryptionMismatch', `encryption is configured but the stream is not encrypted (message type ${buf[start] ?? 0})`));
  }
  const inner = shifted(readPlain(buf.subarray(start), options, limits, true), start);
  if (inner.status === 'incomplete' && inner.needBytes - start > limits.maxStateBytes) {
    return failed(wireFail('oversized', `stream message declares more than ${limits.maxStateBytes} bytes`));
  }
  return inner.status === 'done' ? { ...inner, consumed: start + inner.consumed } : inner;
}

function readPlain(buf: Uint8Array, options: StreamDecodeOptions, limits: StreamLimits, growing: boolean): StreamReadResult {
  if (buf.length < 1) return incomplete(1);
  if (buf[0] !== MessageType.compress) return readInner(buf, options, limits, growing ? options.cursor : undefined);
  const scan = msgpackObjectScan(buf, 1);
  if (scan === 'malformed') return failed(wireFail('malformed', 'bad msgpack in compress message'));
  if ('need' in scan) return incomplete(scan.need);
  const end = scan.end;
  const map = readGoStruct(buf.subarray(1, end), { maxBytes: limits.maxStateBytes });
  if (!map.ok) return failed(map);
  const fields = readFields(map.value, [{ wire: 'Algo', kind: 'uint8' }, { wire: 'Buf', kind: 'bytes' }]);
  if (!fields.ok) return failed(fields);
  if (fields.value.get('Algo') !== COMPRESSION_LZW) return failed(wireFail('badCompression', 'cannot decompress unknown algorithm'));
  const lzw = fields.value.get('Buf') as Uint8Array;
  const inflated = lzwDecompress(lzw, lzwOutputCap(lzw.length, limits.maxDecompressedBytes));
  if (!inflated.ok) return failed(inflated);
  if (inflated.value.length === 0) return failed(wireFail('malformed', 'decompressed message is empty'));
  if (inflated.value[0] === MessageType.compress) return failed(wireFail('malformed', 'compress inside a compress'));
  const inner = readInner(inflated.value, options, limits, undefined);
  if (inner.status === 'incomplete') return failed(wireFail('truncated', 'compressed stream message is truncated'));
  return inner.status === 'done' ? { ...inner, consumed: end } : inner;
}

/** Reads `[type] body` where `buf` may still be growing. */
function readInner(buf: Uint8Array, options: StreamDecodeOptions, limits: StreamLimits, cursor: StreamCursor | undefined): StreamReadResult {
  const tag = messageTagOf(buf[0] ?? 0);
  switch (tag) {
    case 'pushPull':
      return readPushPull(buf, options.dialect, limits, cursor);
    case 'user': {
      const header = readObject(buf, 1, USER_HEADER);
      if (typeof header === 'number') return incomplete(header);
      if (!header.ok) return failed(header);
      const length = header.value.fields.get('UserMsgLen') as number;
      if (length > limits.maxStateBytes) return failed(wireFail('oversized', `user message length (${length}) exceeds limit`));
      const end = header.value.end + length;
      if (buf.length < end) return incomplete(end);
      return { status: 'done', message: { type: 'user', payload: buf.slice(header.value.end, end) }, consumed: end };
    }
    case 'ping':
    case 'ack':
    case 'err': {
      const scan = msgpackObjectScan(buf, 1);
      if (scan === 'malformed') return failed(wireFail('malformed', `bad msgpack in ${tag}`));
      if ('need' in scan) return incomplete(scan.need);
      const msg = decodeStructBody(tag, buf.subarray(1, scan.end), options.dialect);
      return msg.ok ? { status: 'done', message: msg.value, consumed: scan.end } : failed(msg);
    }
    default:
      return failed(wireFail('unknownType', `received invalid msgType (${buf[0] ?? 0}) on a stream`));
  }
}

/** Reads one Go struct at `pos`; a number is the buffer length needed first. */
function readObject(
  buf: Uint8Array,
  pos: number,
  fields: readonly FieldSpec[],
): WireResult<{ fields: Map<string, FieldValue>; present: ReadonlySet<string>; end: number }> | number {
  const scan = msgpackObjectScan(buf, pos);
  if (scan === 'malformed') return wireFail('malformed', 'bad msgpack');
  if ('need' in scan) return scan.need;
  const map = readGoStruct(buf.subarray(pos, scan.end));
  if (!map.ok) return map;
  const values = readFields(map.value, fields);
  if (!values.ok) return values;
  return wireOk({ fields: values.value, present: new Set(map.value.keys()), end: scan.end });
}

function readPushPull(buf: Uint8Array, dialect: WireDialect, limits: StreamLimits, cursor: StreamCursor | undefined): StreamReadResult {
  const header = readObject(buf, 1, headerFields(dialect));
  if (typeof header === 'number') return incomplete(header);
  if (!header.ok) return failed(header);
  const h = header.value.fields;
  if (dialect.clusterName !== null) {
    const theirs = header.value.present.has('ClusterName') ? String(h.get('ClusterName')) : '(none)';
    if (theirs !== dialect.clusterName) {
      return failed(wireFail('clusterRejected', `Cluster names do not match: ${theirs} <-> ${dialect.clusterName}`));
    }
  }
  const count = h.get('Nodes') as number;
  const userStateLen = h.get('UserStateLen') as number;
  if (count > limits.maxNodes) return failed(wireFail('oversized', `number of nodes in header (${count}) exceeds limit`));
  if (userStateLen > limits.maxStateBytes) return failed(wireFail('oversized', `user state length (${userStateLen}) exceeds limit`));
  // Find where every node record ends before decoding any (cheap while the stream is growing;
  // with a cursor, records found by an earlier call are not scanned again).
  const ends: number[] = cursor?.nodeEnds ?? [];
  let pos = ends.length > 0 ? (ends[ends.length - 1] as number) : header.value.end;
  for (let i = ends.length; i < count; i++) {
    const scan = msgpackObjectScan(buf, pos);
    if (scan === 'malformed') return failed(wireFail('malformed', `bad msgpack in push/pull node ${i}`));
    // Each record left takes at least one byte, and the user state follows them.
    if ('need' in scan) return incomplete(scan.need + (count - i - 1) + userStateLen);
    ends.push(scan.end);
    pos = scan.end;
  }
  if (buf.length < pos + userStateLen) return incomplete(pos + userStateLen);
  const nodes: PushNodeState[] = [];
  let from = header.value.end;
  for (const end of ends) {
    const map = readGoStruct(buf.subarray(from, end));
    if (!map.ok) return failed(map);
    const values = readFields(map.value, NODE_FIELDS);
    if (!values.ok) return failed(wireFail(values.reason, `push/pull node: ${values.detail}`));
    const node: Record<string, FieldValue> = {};
    for (const f of NODE_FIELDS) node[f.key] = values.value.get(f.wire) as FieldValue;
    nodes.push(node as unknown as PushNodeState);
    from = end;
  }
  const userState = buf.slice(pos, pos + userStateLen);
  return { status: 'done', message: { type: 'pushPull', join: h.get('Join') === true, nodes, userState }, consumed: pos + userStateLen };
}
