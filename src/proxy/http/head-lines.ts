/**
 * One pass over the header lines of an HTTP/1.x head (a latin1 string, one char per byte):
 * checks every character, finds each line's name, colon and end, and names the headers the
 * proxy reads or drops, without lower-casing, splitting or copying the head.
 */

/** The headers forwarding cares about; every other name is `Other`. Connection to Upgrade are the hop-by-hop ones (isHopByHop relies on the order). */
export const enum HeaderName {
  Other,
  Host,
  ContentLength,
  TransferEncoding,
  Connection,
  ProxyConnection,
  KeepAlive,
  Te,
  Upgrade,
  Expect,
  XForwardedFor,
  XForwardedProto,
  XForwardedHost,
}

/** Where each header line is: `names[i]` spans `starts[i]` to `ends[i]` (CRLF excluded), its value starts at `values[i]`. */
export class HeadLines {
  count = 0;
  readonly names: HeaderName[] = [];
  readonly starts: number[] = [];
  readonly values: number[] = [];
  readonly ends: number[] = [];

  /** The value of line `i`, without surrounding spaces and tabs. */
  value(head: string, i: number): string {
    return head.slice(this.values[i] as number, this.ends[i] as number).trim();
  }

  /** Whether the value of line `i`, without surrounding spaces and tabs, is `lower` ignoring case (letters and `-` only). */
  valueIs(head: string, i: number, lower: string): boolean {
    let start = this.values[i] as number;
    let end = this.ends[i] as number;
    while (start < end && isBlank(head.charCodeAt(start))) start++;
    while (end > start && isBlank(head.charCodeAt(end - 1))) end--;
    return end - start === lower.length && sameName(head, start, lower);
  }

  /** The header name of line `i` in lower case. */
  lowerName(head: string, i: number): string {
    return head.slice(this.starts[i] as number, (this.values[i] as number) - 1).toLowerCase();
  }

  private push(name: HeaderName, start: number, value: number, end: number): void {
    const i = this.count++;
    this.names[i] = name;
    this.starts[i] = start;
    this.values[i] = value;
    this.ends[i] = end;
  }

  /**
   * Reads the header lines of `head` from `from` (the start of the first header line).
   * Returns why the head is malformed, or undefined.
   */
  scan(head: string, from: number): string | undefined {
    this.count = 0;
    const len = head.length;
    let pos = from;
    while (pos < len) {
      const start = pos;
      while (pos < len && TCHAR[head.charCodeAt(pos)] === 1) pos++;
      if (pos === start || pos === len || head.charCodeAt(pos) !== 0x3a) return lineError(head, start);
      const name = headerName(head, start, pos);
      const value = ++pos;
      let end = len;
      while (pos < len) {
        const c = head.charCodeAt(pos);
        if (c >= 0x20 ? c === 0x7f : c !== 0x09) {
          if (c !== 0x0d || head.charCodeAt(pos + 1) !== 0x0a) return BAD_CHAR;
          end = pos;
          pos += 2;
          if (pos === len) return 'empty header line';
          break;
        }
        pos++;
      }
      this.push(name, start, value, end);
    }
    return undefined;
  }
}

export const BAD_CHAR = 'control character or bare CR/LF in the head';

/** 1 for the characters of a token (RFC 9110 §5.6.2), by char code. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** True when `s` is a non-empty token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Control characters other than HTAB, and a CR or LF that is not part of a CRLF. */
const BAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

/** Why the line at `start` is not `name: value` (only on the error path, so it may be slow). */
function lineError(head: string, start: number): string {
  if (BAD_CHARS.test(head)) return BAD_CHAR;
  const crlf = head.indexOf('\r\n', start);
  const line = head.slice(start, crlf < 0 ? head.length : crlf);
  const colon = line.indexOf(':');
  if (colon > 0) return 'invalid header name (whitespace before the colon?)';
  if (line === '') return 'empty header line';
  const first = line.charCodeAt(0);
  return first === 0x20 || first === 0x09 ? 'obsolete line folding' : 'header line without a colon';
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * `head` from `start` spells the lower-case `name` (letters and `-`), ignoring case: `| 0x20`
 * lower-cases a letter and maps nothing else onto one; on `-` it matches only `-` or a CR,
 * and no CR is ever inside a line.
 */
function sameName(head: string, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if ((head.charCodeAt(start + i) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/** The names forwarding reads or drops, in lower case. */
const KNOWN_NAMES: readonly (readonly [string, HeaderName])[] = [
  ['host', HeaderName.Host],
  ['content-length', HeaderName.ContentLength],
  ['transfer-encoding', HeaderName.TransferEncoding],
  ['connection', HeaderName.Connection],
  ['proxy-connection', HeaderName.ProxyConnection],
  ['keep-alive', HeaderName.KeepAlive],
  ['te', HeaderName.Te],
  ['upgrade', HeaderName.Upgrade],
  ['expect', HeaderName.Expect],
  ['x-forwarded-for', HeaderName.XForwardedFor],
  ['x-forwarded-proto', HeaderName.XForwardedProto],
  ['x-forwarded-host', HeaderName.XForwardedHost],
];

/** KNOWN_NAMES by length: a name is compared only with the known ones as long as it. */
const KNOWN_BY_LENGTH: ((readonly [string, HeaderName])[] | undefined)[] = [];
for (const known of KNOWN_NAMES) (KNOWN_BY_LENGTH[known[0].length] ??= []).push(known);

function headerName(head: string, start: number, end: number): HeaderName {
  const candidates = KNOWN_BY_LENGTH[end - start];
  if (candidates !== undefined) for (const [name, code] of candidates) if (sameName(head, start, name)) return code;
  return HeaderName.Other;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded. */
export function isHopByHop(name: HeaderName): boolean {
  return name >= HeaderName.Connection && name <= HeaderName.Upgrade;
}

/** Never removed because `Connection` names them: framing and routing must survive. */
export function isProtected(name: HeaderName): boolean {
  return name === HeaderName.Host || name === HeaderName.ContentLength || name === HeaderName.TransferEncoding;
}
