/**
 * An attacker's gossip encoder, written for the tests from memberlist's wire format and NOT
 * from the agent's codec (whose bugs it would share): a minimal msgpack writer, Go
 * compress/lzw's LSB encoder with 8-bit literals, and memberlist's framing (compound = type
 * byte, count byte, uint16 BE lengths, parts; compress = type byte + msgpack {Algo, Buf}).
 * The Go Sidecar's fork carries the cluster name as a `ClusterName` field of alive, suspect,
 * dead and the push/pull header.
 */

/** memberlist message type bytes (net.go messageType). */
export const T = { ping: 0, suspect: 3, alive: 4, dead: 5, pushPull: 6, compound: 7, user: 8, compress: 9, encrypt: 10 } as const;

/** A msgpack value as this writer knows them: bytes become bin, strings str. */
export type Mp = number | boolean | string | Uint8Array | null | readonly Mp[] | { readonly [key: string]: Mp };

/** Appends msgpack to a byte list. */
export class MsgpackOut {
  readonly bytes: number[] = [];

  private be(n: number, size: number): this {
    for (let i = size - 1; i >= 0; i--) this.bytes.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
    return this;
  }

  /** A header alone: str/bin/array/map declaring `n` (e.g. 4 GiB − 1 with nothing after it). */
  header(kind: 'str' | 'bin' | 'array' | 'map', n: number): this {
    // [1-byte form, 2-byte form, 4-byte form, fix prefix and its limit]
    const forms = { str: [0xd9, 0xda, 0xdb, 0xa0, 32], bin: [0xc4, 0xc5, 0xc6, -1, 0], array: [-1, 0xdc, 0xdd, 0x90, 16], map: [-1, 0xde, 0xdf, 0x80, 16] } as const;
    const [one, two, four, fix, fixLimit] = forms[kind];
    if (n < fixLimit) this.bytes.push(fix | n);
    else if (n < 256 && one >= 0) this.bytes.push(one, n);
    else if (n < 65536) {
      this.bytes.push(two);
      this.be(n, 2);
    } else {
      this.bytes.push(four);
      this.be(n, 4);
    }
    return this;
  }

  value(v: Mp): this {
    if (v === null) this.bytes.push(0xc0);
    else if (typeof v === 'boolean') this.bytes.push(v ? 0xc3 : 0xc2);
    else if (typeof v === 'number') {
      if (v < 128) this.bytes.push(v);
      else if (v < 256) this.bytes.push(0xcc, v);
      else {
        this.bytes.push(v < 65536 ? 0xcd : 0xce);
        this.be(v, v < 65536 ? 2 : 4);
      }
    } else if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      this.header('str', b.length).bytes.push(...b);
    } else if (v instanceof Uint8Array) {
      this.header('bin', v.length);
      for (const x of v) this.bytes.push(x);
    } else if (Array.isArray(v)) {
      this.header('array', v.length);
      for (const x of v as readonly Mp[]) this.value(x);
    } else {
      const entries = Object.entries(v as { readonly [key: string]: Mp });
      this.header('map', entries.length);
      for (const [k, x] of entries) this.value(k).value(x);
    }
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export const msgpack = (v: Mp): Uint8Array => new MsgpackOut().value(v).finish();

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Go compress/lzw writer codes (LSB, literal width 8): width 9 → 12, Clear 256, EOF 257. */
class LzwCodeWriter {
  private readonly out: number[] = [];
  private acc = 0;
  private nBits = 0;
  width = 9;
  /** The last code assigned (Go `hi`); the next code is hi + 1. */
  hi = 257;
  private overflow = 512;

  put(code: number): void {
    this.acc |= code << this.nBits;
    this.nBits += this.width;
    while (this.nBits >= 8) {
      this.out.push(this.acc & 0xff);
      this.acc >>>= 8;
      this.nBits -= 8;
    }
  }

  /** After each code but the last: the table grows; at 4095 Go emits Clear and starts over. Returns false on a reset. */
  grow(): boolean {
    this.hi += 1;
    if (this.hi === this.overflow) {
      this.width += 1;
      this.overflow <<= 1;
    }
    if (this.hi === 4095) {
      this.put(256);
      this.width = 9;
      this.hi = 257;
      this.overflow = 512;
      return false;
    }
    return true;
  }

  finish(): Uint8Array {
    this.put(257);
    if (this.nBits > 0) this.out.push(this.acc & 0xff);
    return Uint8Array.from(this.out);
  }
}

/** LZW of `input`, as Go's `lzw.NewWriter(w, lzw.LSB, 8)` writes it (a Clear code first). */
export function lzwEncode(input: Uint8Array): Uint8Array {
  const w = new LzwCodeWriter();
  w.put(256);
  if (input.length === 0) return w.finish();
  let table = new Map<number, number>();
  let code = input[0] as number;
  for (let i = 1; i < input.length; i++) {
    const lit = input[i] as number;
    const key = code * 256 + lit;
    const hit = table.get(key);
    if (hit !== undefined) {
      code = hit;
      continue;
    }
    w.put(code);
    code = lit;
    if (w.grow()) table.set(key, w.hi);
    else table = new Map();
  }
  w.put(code);
  w.grow();
  return w.finish();
}

/**
 * An LZW bomb: the codes of `n` zero bytes written directly (0, 258, 259, … each one byte
 * longer than the last), so 1 MiB costs about 2 KB and 40 MiB about 35 KB.
 */
export function lzwZeros(n: number): Uint8Array {
  const w = new LzwCodeWriter();
  w.put(256);
  let left = n;
  let run = 0; // length of the longest zero string in the table (0: only the literal)
  while (left > 0) {
    const take = Math.min(left, run + 1);
    // The code for `take` zeros: the literal for 1, else the code assigned for that run.
    const code = take === 1 ? 0 : 256 + take;
    w.put(code);
    left -= take;
    if (left > 0) {
      if (w.grow()) run = take;
      else run = 0;
    }
  }
  w.grow();
  return w.finish();
}

/** memberlist compound: [7][count][uint16 BE length × count][parts]. */
export function compound(parts: readonly Uint8Array[]): Uint8Array {
  const head = Buffer.alloc(2 + 2 * parts.length);
  head[0] = T.compound;
  head[1] = parts.length & 0xff;
  parts.forEach((p, i) => head.writeUInt16BE(p.length, 2 + 2 * i));
  return concatBytes(head, ...parts);
}

/** memberlist compress message: [9] msgpack {Algo: 0, Buf: <lzw>}. */
export function compress(lzw: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(T.compress), msgpack({ Algo: 0, Buf: lzw }));
}

/** Go Sidecar dialect alive: [4] {Incarnation, Node, Addr, Port, Meta, Vsn, ClusterName}. */
export function alive(node: string, ip: readonly number[], port: number, incarnation: number, clusterName: string): Uint8Array {
  const meta = Buffer.from(JSON.stringify({ ClusterName: clusterName, State: 'Running' }));
  return concatBytes(
    Uint8Array.of(T.alive),
    msgpack({ Addr: Uint8Array.from(ip), ClusterName: clusterName, Incarnation: incarnation, Meta: meta, Node: node, Port: port, Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) }),
  );
}

/** Go Sidecar dialect dead: [5] {Incarnation, Node, From, ClusterName}. */
export function dead(node: string, from: string, incarnation: number, clusterName: string): Uint8Array {
  return concatBytes(Uint8Array.of(T.dead), msgpack({ ClusterName: clusterName, From: from, Incarnation: incarnation, Node: node }));
}

/** A user message (the Go Sidecar's service records ride in these): [8] + raw bytes. */
export function user(payload: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(T.user), payload);
}
