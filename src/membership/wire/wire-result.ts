/**
 * The outcome of decoding untrusted bytes. Decoders never throw on bad input: they return a
 * failure with a stable `reason` (usable as a counter label) and a human `detail` for logs.
 */

/** Why bytes from the network were dropped. Stable strings: they name metrics counters. */
export type WireFailureReason =
  /** The bytes end before the structure they announce. */
  | 'truncated'
  /** A length, count or decompressed size is above our limit. */
  | 'oversized'
  /** The bytes are not the msgpack / layout memberlist sends (wrong types, bad values). */
  | 'malformed'
  /** A message type byte we do not know, or one not allowed where it appeared. */
  | 'unknownType'
  /** The hasCrc checksum does not match the rest of the packet. */
  | 'badCrc'
  /** A compress message with an unknown algorithm or a corrupt LZW stream. */
  | 'badCompression'
  /** Encrypted, but no installed key opens it (or the layout is wrong). */
  | 'decryptFailed'
  /** Encryption is configured and the peer sent plaintext (or the reverse). */
  | 'encryptionMismatch'
  /** The label header is missing, malformed or not ours. */
  | 'badLabel'
  /** A well-formed message from another cluster (the fork's ClusterName differs or is missing). */
  | 'clusterRejected'
  /** A stream peer did not send a complete message in time. */
  | 'timeout'
  /** Inbound streams together hold their whole byte budget (a local limit): this one was cut. */
  | 'overBudget';

/** A dropped input. Reason `clusterRejected` marks bytes that were valid but not for this cluster. */
export interface WireFailure {
  readonly ok: false;
  readonly reason: WireFailureReason;
  readonly detail: string;
}

export interface WireSuccess<T> {
  readonly ok: true;
  readonly value: T;
}

export type WireResult<T> = WireSuccess<T> | WireFailure;

export function wireOk<T>(value: T): WireSuccess<T> {
  return { ok: true, value };
}

export function wireFail(reason: WireFailureReason, detail: string): WireFailure {
  return { ok: false, reason, detail };
}
