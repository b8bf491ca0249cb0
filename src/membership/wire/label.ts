/**
 * The gossip label header of stock memberlist ≥ 0.3 (label.go): `[244][length 1..255][label]`
 * in front of a packet or at the start of a stream, sent only when a label is configured.
 * Neither the Go Sidecar's fork nor Debian's serf know it; it is opt-in.
 */
import { MessageType } from './messages.js';
import { type WireResult, wireFail, wireOk } from './wire-result.js';

/** Longest label memberlist allows (`LabelMaxSize`), in bytes. */
export const LABEL_MAX_SIZE_BYTES = 255;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** `[244][len][label]`, or nothing for the empty label. Throws RangeError above 255 bytes. */
export function labelHeader(label: string): Uint8Array {
  if (label === '') return new Uint8Array(0);
  const bytes = textEncoder.encode(label);
  if (bytes.length > LABEL_MAX_SIZE_BYTES) throw new RangeError(`label ${JSON.stringify(label)} is too long`);
  const out = new Uint8Array(2 + bytes.length);
  out[0] = MessageType.hasLabel;
  out[1] = bytes.length;
  out.set(bytes, 2);
  return out;
}

/** Bytes a label adds to each packet (memberlist `labelOverhead`). */
export function labelOverhead(label: string): number {
  return label === '' ? 0 : 2 + textEncoder.encode(label).length;
}

export interface Labelled {
  readonly label: string;
  /** Offset of the first byte after the label header (0 when there is none). */
  readonly offset: number;
}

/**
 * Reads an optional label header at the start of `buf`. `'incomplete'` when a stream has not
 * delivered the whole header yet (for packets treat it as truncated).
 */
export function readLabelHeader(buf: Uint8Array): WireResult<Labelled> | 'incomplete' {
  if (buf.length === 0 || buf[0] !== MessageType.hasLabel) return wireOk({ label: '', offset: 0 });
  if (buf.length < 2) return 'incomplete';
  const size = buf[1] ?? 0;
  if (size < 1) return wireFail('badLabel', 'label header cannot be empty when present');
  if (buf.length < 2 + size) return 'incomplete';
  return wireOk({ label: textDecoder.decode(buf.subarray(2, 2 + size)), offset: 2 + size });
}
