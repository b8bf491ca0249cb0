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
import { GoMsgpackWriter, msgpackObjectEnd, readFields, readGoStruct, writeGoRecord, writeGoStruct, type FieldSpec, type FieldValue } from './go-msgpack.js';
import { COMPRESSION_LZW, compressMessage, decodeStructBody, writeStructBody } from './codec.js';
import { lzwDecompress } from './lzw.js';
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

/** Size limits on what a peer may make us buffer (stock memberlist's; the fork's are 10 MiB). */
export interface StreamLimits {
  /** Largest encrypted stream payload and push/pull user state, in bytes (memberlist `maxPushStateBytes`, 20 MiB). */
  readonly maxStateBytes: number;
  /** Most node records in one push/pull (memberlist `maxPushStateNodes`, 1 Mi). */
  readonly maxNodes: number;
  /** Largest decompressed stream, in bytes (memberlist `maxDecompressedBytes`, 40 MiB). */
  readonly maxDecompressedBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = Object.freeze({
  maxStateBytes: 20 * 1024 * 1024,
  maxNodes: 1024 * 1024,
  maxDecompressedBytes: 40 * 1024 * 1024,
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
}

export type StreamReadResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'done'; readonly message: StreamMessage; readonly consumed: number }
  | { readonly status: 'failed'; readonly failure: WireFailure };

const INCOMPLETE: StreamReadResult = Object.freeze({ status: 'incomplete' });
const failed = (failure: WireFailure): StreamReadResult => ({ status: 'failed', failure });

/**
 * Reads one stream message from the bytes received so far (from the start of the connection).
 * Call again with more bytes while it says `incomplete`; stop on `done` or `failed`.
 */
export function readStream(buf: Uint8Array, options: StreamDecodeOptions): StreamReadResult {
  const limits = options.limits ?? DEFAULT_STREAM_LIMITS;
  const labelled = readLabelHeader(buf);
  if (labelled === 'incomplete') return INCOMPLETE;
  if (!labelled.ok) return failed(labelled);
  const label = options.label ?? '';
  if (labelled.value.label !== label) {
    return failed(wireFail('badLabel', `discarding stream with unacceptable label ${JSON.stringify(labelled.value.label)}`));
  }
  const start = labelled.value.offset;
  if (buf.length <= start) return INCOMPLETE;
  if (buf[start] === MessageType.encrypt) {
    if (!options.keyring) return failed(wireFail('encryptionMismatch', 'remote state is encrypted and encryption is not configured'));
    if (buf.length < start + 5) return INCOMPLETE;
    const header = buf.subarray(start, start + 5);
    const length = new DataView(header.buffer, header.byteOffset, 5).getUint32(1);
    if (length > limits.maxStateBytes) return failed(wireFail('oversized', `remote node state is larger than limit (${length})`));
    if (buf.length < start + 5 + length) return INCOMPLETE;
    const plain = decryptStream(options.keyring, header, buf.subarray(start + 5, start + 5 + length), label);
    if (!plain.ok) return failed(plain);
    const inner = readPlain(plain.value, options, limits);
    if (inner.status === 'incomplete') return failed(wireFail('truncated', 'encrypted stream message is truncated'));
    return inner.status === 'done' ? { ...inner, consumed: start + 5 + length } : inner;
  }
  if (options.keyring && (options.verifyIncoming ?? true)) {
    return failed(wireFail('encryptionMismatch', 'encryption is configured but remote state is not encrypted'));
  }
  const inner = readPlain(buf.subarray(start), options, limits);
  return inner.status === 'done' ? { ...inner, consumed: start + inner.consumed } : inner;
}

function readPlain(buf: Uint8Array, options: StreamDecodeOptions, limits: StreamLimits): StreamReadResult {
  if (buf.length < 1) return INCOMPLETE;
  if (buf[0] !== MessageType.compress) return readInner(buf, options, limits);
  const end = msgpackObjectEnd(buf, 1);
  if (end === 'incomplete') return INCOMPLETE;
  if (end === 'malformed') return failed(wireFail('malformed', 'bad msgpack in compress message'));
  const map = readGoStruct(buf.subarray(1, end));
  if (!map.ok) return failed(map);
  const fields = readFields(map.value, [{ wire: 'Algo', kind: 'uint8' }, { wire: 'Buf', kind: 'bytes' }]);
  if (!fields.ok) return failed(fields);
  if (fields.value.get('Algo') !== COMPRESSION_LZW) return failed(wireFail('badCompression', 'cannot decompress unknown algorithm'));
  const inflated = lzwDecompress(fields.value.get('Buf') as Uint8Array, limits.maxDecompressedBytes);
  if (!inflated.ok) return failed(inflated);
  if (inflated.value.length === 0) return failed(wireFail('malformed', 'decompressed message is empty'));
  const inner = readInner(inflated.value, options, limits);
  if (inner.status === 'incomplete') return failed(wireFail('truncated', 'compressed stream message is truncated'));
  return inner.status === 'done' ? { ...inner, consumed: end } : inner;
}

/** Reads `[type] body` where `buf` may still be growing. */
function readInner(buf: Uint8Array, options: StreamDecodeOptions, limits: StreamLimits): StreamReadResult {
  const tag = messageTagOf(buf[0] ?? 0);
  switch (tag) {
    case 'pushPull':
      return readPushPull(buf, options.dialect, limits);
    case 'user': {
      const header = readObject(buf, 1, USER_HEADER);
      if (header === 'incomplete' || !header.ok) return header === 'incomplete' ? INCOMPLETE : failed(header);
      const length = header.value.fields.get('UserMsgLen') as number;
      if (length > limits.maxStateBytes) return failed(wireFail('oversized', `user message length (${length}) exceeds limit`));
      const end = header.value.end + length;
      if (buf.length < end) return INCOMPLETE;
      return { status: 'done', message: { type: 'user', payload: buf.slice(header.value.end, end) }, consumed: end };
    }
    case 'ping':
    case 'ack':
    case 'err': {
      const end = msgpackObjectEnd(buf, 1);
      if (end === 'incomplete') return INCOMPLETE;
      if (end === 'malformed') return failed(wireFail('malformed', `bad msgpack in ${tag}`));
      const msg = decodeStructBody(tag, buf.subarray(1, end), options.dialect);
      return msg.ok ? { status: 'done', message: msg.value, consumed: end } : failed(msg);
    }
    default:
      return failed(wireFail('unknownType', `received invalid msgType (${buf[0] ?? 0}) on a stream`));
  }
}

function readObject(
  buf: Uint8Array,
  pos: number,
  fields: readonly FieldSpec[],
): WireResult<{ fields: Map<string, FieldValue>; present: ReadonlySet<string>; end: number }> | 'incomplete' {
  const end = msgpackObjectEnd(buf, pos);
  if (end === 'incomplete') return 'incomplete';
  if (end === 'malformed') return wireFail('malformed', 'bad msgpack');
  const map = readGoStruct(buf.subarray(pos, end));
  if (!map.ok) return map;
  const values = readFields(map.value, fields);
  if (!values.ok) return values;
  return wireOk({ fields: values.value, present: new Set(map.value.keys()), end });
}

function readPushPull(buf: Uint8Array, dialect: WireDialect, limits: StreamLimits): StreamReadResult {
  const header = readObject(buf, 1, headerFields(dialect));
  if (header === 'incomplete') return INCOMPLETE;
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
  // Find where every node record ends before decoding any (cheap while the stream is growing).
  const ends: number[] = [];
  let pos = header.value.end;
  for (let i = 0; i < count; i++) {
    const end = msgpackObjectEnd(buf, pos);
    if (end === 'incomplete') return INCOMPLETE;
    if (end === 'malformed') return failed(wireFail('malformed', `bad msgpack in push/pull node ${i}`));
    ends.push(end);
    pos = end;
  }
  if (buf.length < pos + userStateLen) return INCOMPLETE;
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
