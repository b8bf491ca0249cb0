/**
 * LZW as Go's compress/lzw with `LSB` bit order and literal width 8 — what memberlist's
 * compress message carries (util.go `compressPayload` / `decompressBuffer`, `lzwLitWidth = 8`).
 *
 * Codes start 9 bits wide; 256 is Clear, 257 is EOF, new codes from 258; the width grows when
 * the next code to assign reaches 2^width, up to 12 bits; when the encoder would assign 4095
 * it emits Clear and starts over. Bits are packed least-significant first. Like Go ≥ 1.17 the
 * encoder emits a Clear code first; older Go did not, and the decoder accepts both.
 */
import { type WireResult, wireFail, wireOk } from './wire-result.js';

/**
 * Most output per byte of LZW input a peer may make us produce. Gossip (msgpack and the
 * catalog's JSON) shrinks 2–5× under LZW, so 32× is far above anything legitimate, while an
 * LZW bomb reaches about 1,000× (a 27 KB stream inflating to 32 MiB): with this ratio a peer
 * pays at least one byte sent for every 32 bytes we inflate.
 */
export const MAX_LZW_RATIO = 32;

/** The output cap for `inputBytes` of LZW: `capBytes`, or less when the ratio says so (never below `floorBytes`). */
export function lzwOutputCap(inputBytes: number, capBytes: number, floorBytes = 4096): number {
  return Math.min(capBytes, Math.max(floorBytes, inputBytes * MAX_LZW_RATIO));
}

const LIT_WIDTH = 8;
const CLEAR = 1 << LIT_WIDTH;
const EOF = CLEAR + 1;
const MAX_WIDTH = 12;
/** The encoder resets before assigning this code (Go writer `maxCode`). */
const MAX_CODE = (1 << MAX_WIDTH) - 1;

class BitWriter {
  private out: number[] = [];
  private bits = 0;
  private nBits = 0;

  write(code: number, width: number): void {
    this.bits |= code << this.nBits;
    this.nBits += width;
    while (this.nBits >= 8) {
      this.out.push(this.bits & 0xff);
      this.bits >>>= 8;
      this.nBits -= 8;
    }
  }

  finish(): Uint8Array {
    if (this.nBits > 0) this.out.push(this.bits & 0xff);
    return Uint8Array.from(this.out);
  }
}

/** Compresses `input` exactly as Go's `lzw.NewWriter(w, lzw.LSB, 8)` followed by Close. */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const w = new BitWriter();
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << width;
  let table = new Map<number, number>();
  w.write(CLEAR, width);
  if (input.length === 0) {
    w.write(EOF, width);
    return w.finish();
  }
  // incHi: after each emitted code the next implied code grows; reset when out of codes.
  const incHi = (): boolean => {
    hi += 1;
    if (hi === overflow) {
      width += 1;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      w.write(CLEAR, width);
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      table = new Map();
      return false;
    }
    return true;
  };
  let code = input[0] ?? 0;
  for (let i = 1; i < input.length; i++) {
    const literal = input[i] ?? 0;
    const key = code * 256 + literal;
    const hit = table.get(key);
    if (hit !== undefined) {
      code = hit;
      continue;
    }
    w.write(code, width);
    code = literal;
    if (incHi()) table.set(key, hi);
  }
  w.write(code, width);
  incHi();
  w.write(EOF, width);
  return w.finish();
}

/**
 * The decoder's tables, shared by every call: decoding is synchronous and each entry is
 * written before it is read, so a packet of 255 compress parts does not allocate 255 sets.
 */
const PREFIX = new Uint16Array(1 << MAX_WIDTH);
const SUFFIX = new Uint8Array(1 << MAX_WIDTH);
const STACK = new Uint8Array(1 << MAX_WIDTH);

/**
 * Decompresses a Go LSB/8 LZW stream. Fails (never throws) on an invalid code, on a stream
 * that ends before its EOF code (Go: unexpected EOF) or when the output would exceed `maxBytes`.
 */
export function lzwDecompress(input: Uint8Array, maxBytes: number): WireResult<Uint8Array> {
  const prefix = PREFIX;
  const suffix = SUFFIX;
  const stack = STACK;
  // Sized from the input actually received (already bounded), never from the cap: the output
  // doubles as it grows and decoding stops the moment it would pass `maxBytes`.
  let out = new Uint8Array(Math.min(Math.max(input.length * 2, 256), maxBytes));
  let o = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF;
  let overflow = 1 << width;
  let last = -1;
  let bits = 0;
  let nBits = 0;
  let pos = 0;
  const emit = (chunk: Uint8Array): boolean => {
    if (o + chunk.length > maxBytes) return false;
    if (o + chunk.length > out.length) {
      const grown = new Uint8Array(Math.min(maxBytes, Math.max(out.length * 2, o + chunk.length)));
      grown.set(out.subarray(0, o));
      out = grown;
    }
    out.set(chunk, o);
    o += chunk.length;
    return true;
  };
  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) return wireFail('badCompression', 'lzw: stream ends before EOF code');
      bits |= (input[pos] ?? 0) << nBits;
      pos += 1;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    if (code === CLEAR) {
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      last = -1;
      continue;
    }
    if (code === EOF) return wireOk(out.slice(0, o));
    if (code > hi || (code === hi && last === -1)) return wireFail('badCompression', `lzw: invalid code ${code}`);
    // Expand `code` right to left into the stack; code === hi is the KwKwK case.
    let i = stack.length;
    let c = code;
    if (code === hi) {
      let head = last;
      while (head >= CLEAR) head = prefix[head] ?? 0;
      stack[--i] = head;
      c = last;
    }
    while (c >= CLEAR) {
      stack[--i] = suffix[c] ?? 0;
      c = prefix[c] ?? 0;
    }
    stack[--i] = c;
    if (!emit(stack.subarray(i))) return wireFail('oversized', `lzw: output above ${maxBytes} bytes`);
    if (last !== -1) {
      suffix[hi] = c;
      prefix[hi] = last;
    }
    last = code;
    hi += 1;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi -= 1;
      } else {
        width += 1;
        overflow = 1 << width;
      }
    }
  }
}
