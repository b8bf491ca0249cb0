/**
 * msgpack exactly as memberlist writes it, and tolerant reading of what any peer may send.
 *
 * memberlist encodes with go-msgpack's `MsgpackHandle{}` (v0.5.5 in the Go Sidecar, v2 in
 * current memberlist; both behave the same here):
 * - structs become maps whose keys are the Go field names, **sorted by name** (`sfi` /
 *   `sfiSort` in go-msgpack's kStruct), not in declaration order;
 * - `WriteExt` is false, so strings **and `[]byte`** are written as legacy raw: fixstr
 *   (< 32 bytes), str16 (0xda, < 65536), str32 (0xdb) — never str8 (0xd9) and never bin;
 * - a nil `[]byte` is nil (0xc0); unsigned and non-negative ints use the shortest form
 *   (positive fixint, 0xcc, 0xcd, 0xce, 0xcf); bools are 0xc2 / 0xc3.
 * On decode go-msgpack accepts str8 and bin for `[]byte`, but only str for `string` fields;
 * we accept str and bin everywhere (decoding is done by `@msgpack/msgpack` with raw strings,
 * because `[]byte` fields such as IP addresses arrive as str and are not UTF-8).
 */
import { Decoder } from '@msgpack/msgpack';
import { type WireResult, wireFail, wireOk } from './wire-result.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Appends go-msgpack-compatible values to a growing buffer. */
export class GoMsgpackWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  private be(value: number, size: 2 | 4): void {
    this.ensure(size);
    for (let i = size - 1; i >= 0; i--) this.buf[this.len++] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }

  mapHeader(count: number): this {
    if (count < 16) return this.byte(0x80 | count);
    if (count < 65536) {
      this.byte(0xde);
      this.be(count, 2);
      return this;
    }
    this.byte(0xdf);
    this.be(count, 4);
    return this;
  }

  /** A non-negative integer up to 2^53 - 1, in go-msgpack's shortest unsigned form. */
  uint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a uint: ${value}`);
    if (value <= 0x7f) return this.byte(value);
    if (value <= 0xff) return this.byte(0xcc).byte(value);
    if (value <= 0xffff) {
      this.byte(0xcd);
      this.be(value, 2);
    } else if (value <= 0xffffffff) {
      this.byte(0xce);
      this.be(value, 4);
    } else {
      this.byte(0xcf);
      this.be(Math.floor(value / 2 ** 32), 4);
      this.be(value >>> 0, 4);
    }
    return this;
  }

  bool(value: boolean): this {
    return this.byte(value ? 0xc3 : 0xc2);
  }

  nil(): this {
    return this.byte(0xc0);
  }

  /** Legacy raw header (fixstr / str16 / str32) followed by the bytes. */
  rawString(bytes: Uint8Array): this {
    const n = bytes.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 65536) {
      this.byte(0xda);
      this.be(n, 2);
    } else {
      this.byte(0xdb);
      this.be(n, 4);
    }
    return this.raw(bytes);
  }

  string(value: string): this {
    return this.rawString(textEncoder.encode(value));
  }

  /** A Go `[]byte`: nil when null, else legacy raw. */
  bytes(value: Uint8Array | null): this {
    return value === null ? this.nil() : this.rawString(value);
  }

  get length(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The value kinds a memberlist struct field can have on the wire. */
export type FieldKind =
  | 'uint8'
  | 'uint16'
  | 'uint32'
  /** Go `int` used as a length or count: non-negative on the wire we accept. */
  | 'int'
  | 'bool'
  | 'string'
  /** Go `[]byte`: nil when empty. */
  | 'bytes';

/** One Go struct field: its Go (wire) name, kind, and whether it carries `omitempty`. */
export interface FieldSpec {
  readonly wire: string;
  readonly kind: FieldKind;
  readonly omitEmpty?: boolean;
}

export type FieldValue = number | boolean | string | Uint8Array;

const UINT_MAX: Record<string, number> = { uint8: 0xff, uint16: 0xffff, uint32: 0xffffffff, int: Number.MAX_SAFE_INTEGER };

function isEmpty(value: FieldValue): boolean {
  if (typeof value === 'number') return value === 0;
  if (typeof value === 'boolean') return !value;
  return value.length === 0;
}

/** A struct's fields in wire order (sorted by Go name), each name encoded once. */
interface StructLayout {
  readonly fields: readonly FieldSpec[];
  readonly names: readonly Uint8Array[];
}

const layouts = new WeakMap<readonly FieldSpec[], StructLayout>();

function layoutOf(fields: readonly FieldSpec[]): StructLayout {
  let layout = layouts.get(fields);
  if (layout === undefined) {
    const sorted = [...fields].sort((a, b) => (a.wire < b.wire ? -1 : a.wire > b.wire ? 1 : 0));
    layout = { fields: sorted, names: sorted.map((f) => new GoMsgpackWriter().string(f.wire).finish()) };
    layouts.set(fields, layout);
  }
  return layout;
}

/**
 * Writes a Go struct as go-msgpack does: a map with the fields sorted by Go name, omitting
 * empty `omitempty` fields. `values` is keyed by wire name.
 */
export function writeGoStruct(w: GoMsgpackWriter, fields: readonly FieldSpec[], values: ReadonlyMap<string, FieldValue>): void {
  writeGoRecord(w, fields, (f) => values.get(f.wire));
}

/**
 * {@link writeGoStruct} with the values read by `valueOf` (e.g. straight from an object's
 * properties): no map per record. The field order and names are worked out once per `fields`
 * array, so pass the same array every time.
 */
export function writeGoRecord<F extends FieldSpec>(w: GoMsgpackWriter, fields: readonly F[], valueOf: (field: F) => FieldValue | undefined): void {
  const layout = layoutOf(fields);
  let present = 0;
  for (const f of layout.fields as readonly F[]) {
    const v = valueOf(f);
    if (v === undefined) throw new RangeError(`missing field ${f.wire}`);
    if (!(f.omitEmpty === true && isEmpty(v))) present++;
  }
  w.mapHeader(present);
  for (let i = 0; i < layout.fields.length; i++) {
    const f = layout.fields[i] as F;
    const v = valueOf(f) as FieldValue;
    if (f.omitEmpty === true && isEmpty(v)) continue;
    w.raw(layout.names[i] as Uint8Array);
    switch (f.kind) {
      case 'bool':
        w.bool(v === true);
        break;
      case 'string':
        w.string(typeof v === 'string' ? v : '');
        break;
      case 'bytes':
        w.bytes(v instanceof Uint8Array && v.length > 0 ? v : null);
        break;
      default: {
        const n = typeof v === 'number' ? v : 0;
        const max = UINT_MAX[f.kind] ?? 0;
        if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`${f.wire}=${n} does not fit ${f.kind}`);
        w.uint(n);
      }
    }
  }
}

/**
 * Where the one msgpack object starting at `pos` ends, without decoding it: `{ end }`, or
 * `{ need }` when the buffer ends first (`need` is the least buffer length that can make
 * progress: a str/bin header declaring 4 GiB says so at once, before anything is buffered for
 * it), or `'malformed'` on the never-used byte 0xc1. Iterative (no recursion), so hostile
 * nesting cannot blow the stack.
 */
export function msgpackObjectScan(buf: Uint8Array, pos: number): { readonly end: number } | { readonly need: number } | 'malformed' {
  let p = pos;
  let pending = 1;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number): boolean => p + n <= buf.length;
  while (pending > 0) {
    // Each pending item takes at least one byte: more than are left can never complete from
    // this buffer, and say at once how many bytes they need (an array32 of 4 G entries: 4 GB).
    if (pending > buf.length - p) return { need: p + pending };
    const b = buf[p] ?? 0;
    p += 1;
    pending -= 1;
    let skip = 0;
    let children = 0;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) skip = 0;
    else if (b >= 0x80 && b <= 0x8f) children = 2 * (b & 0x0f);
    else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
    else if (b >= 0xa0 && b <= 0xbf) skip = b & 0x1f;
    else {
      switch (b) {
        case 0xc1:
          return 'malformed';
        case 0xc4: case 0xd9:
          if (!need(1)) return { need: p + 1 };
          skip = 1 + view.getUint8(p);
          break;
        case 0xc5: case 0xda:
          if (!need(2)) return { need: p + 2 };
          skip = 2 + view.getUint16(p);
          break;
        case 0xc6: case 0xdb:
          if (!need(4)) return { need: p + 4 };
          skip = 4 + view.getUint32(p);
          break;
        case 0xc7:
          if (!need(1)) return { need: p + 1 };
          skip = 2 + view.getUint8(p);
          break;
        case 0xc8:
          if (!need(2)) return { need: p + 2 };
          skip = 3 + view.getUint16(p);
          break;
        case 0xc9:
          if (!need(4)) return { need: p + 4 };
          skip = 5 + view.getUint32(p);
          break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xdc:
          if (!need(2)) return { need: p + 2 };
          children = view.getUint16(p);
          skip = 2;
          break;
        case 0xdd:
          if (!need(4)) return { need: p + 4 };
          children = view.getUint32(p);
          skip = 4;
          break;
        case 0xde:
          if (!need(2)) return { need: p + 2 };
          children = 2 * view.getUint16(p);
          skip = 2;
          break;
        case 0xdf:
          if (!need(4)) return { need: p + 4 };
          children = 2 * view.getUint32(p);
          skip = 4;
          break;
        default:
          return 'malformed';
      }
    }
    if (!need(skip)) return { need: p + skip };
    p += skip;
    pending += children;
  }
  return { end: p };
}

/** Byte length of the one msgpack object at `pos`: see {@link msgpackObjectScan}. */
export function msgpackObjectEnd(buf: Uint8Array, pos: number): number | 'incomplete' | 'malformed' {
  const r = msgpackObjectScan(buf, pos);
  return r === 'malformed' ? r : 'end' in r ? r.end : 'incomplete';
}

/** Limits for decoding one msgpack object off the wire. */
export interface MsgpackLimits {
  /** Longest str/bin accepted, in bytes. */
  readonly maxBytes: number;
}

const DEFAULT_LIMITS: MsgpackLimits = { maxBytes: 20 * 1024 * 1024 };

/**
 * Decodes exactly one msgpack map (a Go struct) from `buf` (which must hold nothing else).
 * Returns its entries keyed by field name; str and bin values come back as bytes.
 */
/** Decoders by limits: one is reused for every struct (a push/pull carries thousands). */
const decoders = new WeakMap<MsgpackLimits, Decoder>();

function decoderFor(limits: MsgpackLimits): Decoder {
  let decoder = decoders.get(limits);
  if (decoder === undefined) {
    decoder = new Decoder({
      rawStrings: true,
      maxStrLength: limits.maxBytes,
      maxBinLength: limits.maxBytes,
      maxArrayLength: 1024,
      maxMapLength: 1024,
      maxExtLength: 0,
    });
    decoders.set(limits, decoder);
  }
  return decoder;
}

export function readGoStruct(buf: Uint8Array, limits: MsgpackLimits = DEFAULT_LIMITS): WireResult<Map<string, unknown>> {
  const decoder = decoderFor(limits);
  let decoded: unknown;
  try {
    decoded = decoder.decode(buf);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return wireFail(/Insufficient data|out of bounds/i.test(detail) ? 'truncated' : 'malformed', `msgpack: ${detail}`);
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded) || decoded instanceof Uint8Array) {
    return wireFail('malformed', 'msgpack: expected a map');
  }
  return wireOk(new Map(Object.entries(decoded)));
}

/**
 * Reads the fields of a decoded Go struct with Go's leniency: a missing key or nil is the
 * zero value, unknown keys are ignored; a value of the wrong type or out of range fails.
 */
export function readFields(map: ReadonlyMap<string, unknown>, fields: readonly FieldSpec[]): WireResult<Map<string, FieldValue>> {
  const out = new Map<string, FieldValue>();
  for (const f of fields) {
    const raw = map.get(f.wire);
    const value = readField(f, raw);
    if (value === undefined) return wireFail('malformed', `field ${f.wire}: unexpected ${describe(raw)} for ${f.kind}`);
    out.set(f.wire, value);
  }
  return wireOk(out);
}

function readField(f: FieldSpec, raw: unknown): FieldValue | undefined {
  const absent = raw === undefined || raw === null;
  switch (f.kind) {
    case 'bool':
      if (absent) return false;
      return typeof raw === 'boolean' ? raw : undefined;
    case 'string':
      if (absent) return '';
      return raw instanceof Uint8Array ? textDecoder.decode(raw) : typeof raw === 'string' ? raw : undefined;
    case 'bytes':
      if (absent) return new Uint8Array(0);
      return raw instanceof Uint8Array ? raw.slice() : typeof raw === 'string' ? textEncoder.encode(raw) : undefined;
    default: {
      if (absent) return 0;
      const n = typeof raw === 'bigint' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > (UINT_MAX[f.kind] ?? 0)) return undefined;
      return n;
    }
  }
}

function describe(raw: unknown): string {
  if (raw instanceof Uint8Array) return 'bytes';
  if (raw instanceof Map) return 'map';
  return Array.isArray(raw) ? 'array' : typeof raw;
}
