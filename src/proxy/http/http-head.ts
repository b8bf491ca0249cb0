/**
 * Minimal, strict HTTP/1.1 message heads: parse only what forwarding needs (method, version,
 * framing, connection management, Host) and re-serialise the head once, keeping every other
 * header line byte for byte. Heads are handled as latin1 strings (one byte per char) and read
 * in one pass (head-lines.ts).
 *
 * Refused as 400 (RFC 9112 §6.3, §11.2: request smuggling): Content-Length together with
 * Transfer-Encoding; a Transfer-Encoding whose last coding is not `chunked` (or any in HTTP/1.0);
 * a Content-Length that is not digits or differs between copies; whitespace before a colon;
 * obsolete line folding; bare CR or LF; control characters; a missing or repeated Host in 1.1.
 */
import { BAD_CHAR, HeadLines, HeaderName, isHopByHop, isProtected, isToken } from './head-lines.js';

/** How a message body is delimited. `close`: read until the upstream closes (responses only). */
export type BodyFraming = { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' } | { readonly kind: 'close' };

export const NO_BODY: BodyFraming = Object.freeze({ kind: 'none' });
const CHUNKED: BodyFraming = Object.freeze({ kind: 'chunked' });
const UNTIL_CLOSE: BodyFraming = Object.freeze({ kind: 'close' });

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: 0 | 1;
  /** The client wants the connection kept after this exchange. */
  readonly keepAlive: boolean;
  readonly body: BodyFraming;
  /** `Upgrade` present and named in `Connection`: forwarded as an upgrade, spliced on 101. */
  readonly upgrade: boolean;
  readonly expectContinue: boolean;
  /** The head to send upstream, CRLFCRLF included. */
  readonly forward: string;
}

export interface HeadError {
  readonly status: 400 | 431 | 505;
  readonly reason: string;
}

export interface ResponseHead {
  readonly status: number;
  readonly minor: 0 | 1;
  /** The upstream keeps the connection after this response (framing permitting). */
  readonly keepAlive: boolean;
  readonly body: BodyFraming;
  /** `HTTP/1.x <status> <reason>` as received. */
  readonly statusLine: string;
  /** The kept header lines, each followed by CRLF (hop-by-hop ones removed). */
  readonly headers: string;
  /** The `Upgrade` header value (kept only for a 101). */
  readonly upgradeValue: string | undefined;
  /**
   * Nothing would be removed but `Connection: keep-alive` lines: a keep-alive exchange may
   * forward the head as received (see `saysKeepAlive`).
   */
  readonly verbatim: boolean;
  /** The head has a `Connection: keep-alive` line. */
  readonly saysKeepAlive: boolean;
}

/** Largest head accepted (request line + headers); a longer one gets 431 (requests) or 502 (responses). 64 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** Parsing is synchronous: one set of line positions serves every head. */
const LINES = new HeadLines();

/** What the `Connection` (and `Proxy-Connection`) lines say. */
interface ConnectionTokens {
  close: boolean;
  keepAlive: boolean;
  upgrade: boolean;
  /** Every token is `keep-alive`. */
  onlyKeepAlive: boolean;
  /** Tokens naming other headers to remove, lower case. */
  others: string[] | undefined;
}

interface Framing {
  contentLength: number | undefined;
  transferEncoding: string | undefined;
  error: string | undefined;
}

function connectionTokens(head: string, lines: HeadLines): ConnectionTokens {
  const t: ConnectionTokens = { close: false, keepAlive: false, upgrade: false, onlyKeepAlive: true, others: undefined };
  for (let i = 0; i < lines.count; i++) {
    const name = lines.names[i];
    if (name !== HeaderName.Connection && name !== HeaderName.ProxyConnection) continue;
    if (lines.valueIs(head, i, 'keep-alive')) {
      t.keepAlive = true;
      continue;
    }
    for (const part of lines.value(head, i).split(',')) {
      const token = part.trim().toLowerCase();
      if (token === '') continue;
      if (token === 'keep-alive') t.keepAlive = true;
      else {
        t.onlyKeepAlive = false;
        if (token === 'close') t.close = true;
        else if (token === 'upgrade') t.upgrade = true;
        else (t.others ??= []).push(token);
      }
    }
  }
  return t;
}

/** Content-Length and Transfer-Encoding, with conflicting or malformed values refused. */
function framing(head: string, lines: HeadLines): Framing {
  const f: Framing = { contentLength: undefined, transferEncoding: undefined, error: undefined };
  for (let i = 0; i < lines.count; i++) {
    const name = lines.names[i];
    if (name === HeaderName.ContentLength) {
      const text = lines.value(head, i);
      for (const part of text.includes(',') ? text.split(',') : [text]) {
        const value = part.trim();
        if (!isDigits(value) || value.length > 15) {
          f.error = 'invalid Content-Length';
          return f;
        }
        const n = Number(value);
        if (f.contentLength !== undefined && f.contentLength !== n) {
          f.error = 'conflicting Content-Length values';
          return f;
        }
        f.contentLength = n;
      }
    } else if (name === HeaderName.TransferEncoding) {
      const value = lines.value(head, i).toLowerCase();
      f.transferEncoding = f.transferEncoding === undefined ? value : `${f.transferEncoding}, ${value}`;
    }
  }
  return f;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function lastCoding(te: string): string {
  const i = te.lastIndexOf(',');
  return (i < 0 ? te : te.slice(i + 1)).trim();
}

/** Whether line `i` is removed: hop-by-hop, or named in `Connection` (framing and Host excepted). */
function dropped(head: string, lines: HeadLines, i: number, tokens: ConnectionTokens): boolean {
  const name = lines.names[i] as HeaderName;
  if (isHopByHop(name)) return true;
  return tokens.others !== undefined && !isProtected(name) && tokens.others.includes(lines.lowerName(head, i));
}

/** The start line has no control character and no CR or LF. */
function cleanStartLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** A request target: visible ASCII or obs-text, nothing else (no spaces). */
function isTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

/**
 * Parses a request head (`head`: the bytes before CRLFCRLF, as latin1) and builds the head to
 * forward: hop-by-hop headers and those named in `Connection` removed, `X-Forwarded-For`
 * appended with `clientIp`, `X-Forwarded-Proto: http` and `X-Forwarded-Host` added when absent.
 */
export function parseRequestHead(head: string, clientIp: string): RequestHead | HeadError {
  const crlf = head.indexOf('\r\n');
  const requestLine = crlf < 0 ? head : head.slice(0, crlf);
  if (!cleanStartLine(requestLine)) return { status: 400, reason: BAD_CHAR };
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) return { status: 400, reason: 'malformed request line' };
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  const version = requestLine.slice(sp2 + 1);
  if (!isToken(method) || !isTarget(target)) return { status: 400, reason: 'malformed request line' };
  let minor: 0 | 1;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else if (/^HTTP\/[0-9]\.[0-9]$/.test(version)) return { status: 505, reason: `unsupported version ${version}` };
  else return { status: 400, reason: 'malformed request line' };

  const lines = LINES;
  const error = lines.scan(head, crlf < 0 ? head.length : crlf + 2);
  if (error !== undefined) return { status: 400, reason: error };
  const f = framing(head, lines);
  if (f.error !== undefined) return { status: 400, reason: f.error };
  let body: BodyFraming = NO_BODY;
  if (f.transferEncoding !== undefined) {
    if (f.contentLength !== undefined) return { status: 400, reason: 'both Content-Length and Transfer-Encoding' };
    if (minor === 0) return { status: 400, reason: 'Transfer-Encoding in HTTP/1.0' };
    if (lastCoding(f.transferEncoding) !== 'chunked') return { status: 400, reason: 'Transfer-Encoding does not end with chunked' };
    body = CHUNKED;
  } else if (f.contentLength !== undefined && f.contentLength > 0) {
    body = { kind: 'length', length: f.contentLength };
  }
  const tokens = connectionTokens(head, lines);
  let hosts = 0;
  let host = '';
  let hasProto = false;
  let hasXHost = false;
  let upgradeValue: string | undefined;
  let expect: string | undefined;
  let xff: string | undefined;
  let out = `${requestLine}\r\n`;
  let run = -1;
  for (let i = 0; i < lines.count; i++) {
    const name = lines.names[i];
    if (name === HeaderName.Host) {
      hosts++;
      host = lines.value(head, i);
    } else if (name === HeaderName.XForwardedProto) hasProto = true;
    else if (name === HeaderName.XForwardedHost) hasXHost = true;
    else if (name === HeaderName.Upgrade) upgradeValue ??= lines.value(head, i);
    else if (name === HeaderName.Expect) expect ??= lines.value(head, i);
    const drop = dropped(head, lines, i, tokens);
    if (!drop && name !== HeaderName.XForwardedFor) {
      if (run < 0) run = i;
      continue;
    }
    if (run >= 0) out += `${head.slice(lines.starts[run], lines.ends[i - 1])}\r\n`;
    run = -1;
    if (drop) continue;
    const value = lines.value(head, i);
    xff = xff === undefined ? value : `${xff}, ${value}`;
  }
  if (run >= 0) out += `${head.slice(lines.starts[run], lines.ends[lines.count - 1])}\r\n`;
  if (minor === 1 && hosts !== 1) return { status: 400, reason: hosts === 0 ? 'missing Host' : 'repeated Host' };
  if (hosts > 1) return { status: 400, reason: 'repeated Host' };
  const upgrade = upgradeValue !== undefined && tokens.upgrade;
  const keepAlive = minor === 1 ? !tokens.close : tokens.keepAlive;

  out += xff === undefined || xff === '' ? `X-Forwarded-For: ${clientIp}\r\n` : `X-Forwarded-For: ${xff}, ${clientIp}\r\n`;
  if (!hasProto) out += 'X-Forwarded-Proto: http\r\n';
  if (!hasXHost && host !== '') out += `X-Forwarded-Host: ${host}\r\n`;
  if (upgrade) out += `Connection: Upgrade\r\nUpgrade: ${upgradeValue ?? ''}\r\n`;
  else if (minor === 0) out += 'Connection: keep-alive\r\n';
  out += '\r\n';
  const expectContinue = expect?.toLowerCase() === '100-continue';
  return { method, target, minor, keepAlive, body, upgrade, expectContinue, forward: out };
}

/** Parses a response head (bytes before CRLFCRLF, latin1) to a request with method `method`. */
export function parseResponseHead(head: string, method: string): ResponseHead | string {
  const crlf = head.indexOf('\r\n');
  const statusLine = crlf < 0 ? head : head.slice(0, crlf);
  if (!cleanStartLine(statusLine)) return BAD_CHAR;
  if (statusLine.length < 12 || !statusLine.startsWith('HTTP/1.') || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 0x20)) return 'malformed status line';
  const m = statusLine.charCodeAt(7);
  if ((m !== 0x30 && m !== 0x31) || statusLine.charCodeAt(8) !== 0x20) return 'malformed status line';
  const code = statusLine.slice(9, 12);
  if (!isDigits(code)) return 'malformed status code';
  const status = Number(code);
  if (status < 100) return 'malformed status code';
  const minor = m === 0x31 ? 1 : 0;
  const lines = LINES;
  const error = lines.scan(head, crlf < 0 ? head.length : crlf + 2);
  if (error !== undefined) return error;
  const f = framing(head, lines);
  if (f.error !== undefined) return f.error;
  const tokens = connectionTokens(head, lines);
  let body: BodyFraming;
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) body = NO_BODY;
  else if (f.transferEncoding !== undefined) body = lastCoding(f.transferEncoding) === 'chunked' ? CHUNKED : UNTIL_CLOSE;
  else if (f.contentLength !== undefined) body = f.contentLength === 0 ? NO_BODY : { kind: 'length', length: f.contentLength };
  else body = UNTIL_CLOSE;
  const keepAlive = body.kind !== 'close' && (minor === 1 ? !tokens.close : tokens.keepAlive);
  const keepUpgrade = status === 101;
  let headers = '';
  let verbatim = true;
  let saysKeepAlive = false;
  let upgradeValue: string | undefined;
  let run = -1;
  for (let i = 0; i < lines.count; i++) {
    const name = lines.names[i];
    let drop: boolean;
    if (name === HeaderName.Upgrade && keepUpgrade) {
      upgradeValue ??= lines.value(head, i);
      drop = false;
    } else {
      // A message with both is answered as chunked; the length would lie to the client.
      drop = dropped(head, lines, i, tokens) || (name === HeaderName.ContentLength && f.transferEncoding !== undefined);
    }
    if (!drop) {
      if (run < 0) run = i;
      continue;
    }
    if (name === HeaderName.Connection && tokens.onlyKeepAlive && tokens.keepAlive) saysKeepAlive = true;
    else verbatim = false;
    if (run >= 0) headers += `${head.slice(lines.starts[run], lines.ends[i - 1])}\r\n`;
    run = -1;
  }
  if (run >= 0) headers += `${head.slice(lines.starts[run], lines.ends[lines.count - 1])}\r\n`;
  return { status, minor, keepAlive, body, statusLine, headers, upgradeValue, verbatim, saysKeepAlive };
}
