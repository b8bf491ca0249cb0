/**
 * Minimal, strict HTTP/1.1 message heads: parse only what forwarding needs (method, version,
 * framing, connection management, Host) and re-serialise the head once, keeping every other
 * header line byte for byte. Heads are handled as latin1 strings (one byte per char).
 *
 * Refused as 400 (RFC 9112 §6.3, §11.2: request smuggling): Content-Length together with
 * Transfer-Encoding; a Transfer-Encoding whose last coding is not `chunked` (or any in HTTP/1.0);
 * a Content-Length that is not digits or differs between copies; whitespace before a colon;
 * obsolete line folding; bare CR or LF; control characters; a missing or repeated Host in 1.1.
 */

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
}

/** Largest head accepted (request line + headers); a longer one gets 431 (requests) or 502 (responses). 64 KiB. */
export const MAX_HEAD_BYTES = 64 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB, and a CR or LF that is not part of a CRLF. */
const BAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
const DIGITS = /^[0-9]+$/;
/** Headers that only concern one connection (RFC 9110 §7.6.1), never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade']);
/** Never removed because `Connection` names them: framing and routing must survive. */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

interface Fields {
  names: string[];
  lines: string[];
  connection: Set<string>;
  contentLength: number | undefined;
  transferEncoding: string | undefined;
  error: string | undefined;
}

/** Splits header lines (after the start line) and reads the framing and connection headers. */
function readFields(lines: string[]): Fields {
  const f: Fields = { names: [], lines: [], connection: new Set(), contentLength: undefined, transferEncoding: undefined, error: undefined };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return fail(f, line === '' ? 'empty header line' : line.charCodeAt(0) === 0x20 || line.charCodeAt(0) === 0x09 ? 'obsolete line folding' : 'header line without a colon');
    const raw = line.slice(0, colon);
    if (!TOKEN.test(raw)) return fail(f, 'invalid header name (whitespace before the colon?)');
    const name = raw.toLowerCase();
    f.names.push(name);
    f.lines.push(line);
    if (name.length < 10 || name.length > 17) continue;
    if (name === 'connection' || name === 'proxy-connection') {
      for (const t of line.slice(colon + 1).split(',')) {
        const token = t.trim().toLowerCase();
        if (token !== '') f.connection.add(token);
      }
    } else if (name === 'content-length') {
      for (const v of line.slice(colon + 1).split(',')) {
        const value = v.trim();
        if (!DIGITS.test(value) || value.length > 15) return fail(f, 'invalid Content-Length');
        const n = Number(value);
        if (f.contentLength !== undefined && f.contentLength !== n) return fail(f, 'conflicting Content-Length values');
        f.contentLength = n;
      }
    } else if (name === 'transfer-encoding') {
      const value = line.slice(colon + 1).trim().toLowerCase();
      f.transferEncoding = f.transferEncoding === undefined ? value : `${f.transferEncoding}, ${value}`;
    }
  }
  return f;
}

function fail(f: Fields, reason: string): Fields {
  f.error = reason;
  return f;
}

function lastCoding(te: string): string {
  const i = te.lastIndexOf(',');
  return (i < 0 ? te : te.slice(i + 1)).trim();
}

/** Header value of the first line named `name` (lower case), trimmed. */
function valueOf(f: Fields, name: string): string | undefined {
  const i = f.names.indexOf(name);
  if (i < 0) return undefined;
  const line = f.lines[i] as string;
  return line.slice(line.indexOf(':') + 1).trim();
}

/**
 * Parses a request head (`head`: the bytes before CRLFCRLF, as latin1) and builds the head to
 * forward: hop-by-hop headers and those named in `Connection` removed, `X-Forwarded-For`
 * appended with `clientIp`, `X-Forwarded-Proto: http` and `X-Forwarded-Host` added when absent.
 */
export function parseRequestHead(head: string, clientIp: string): RequestHead | HeadError {
  if (BAD_CHARS.test(head)) return { status: 400, reason: 'control character or bare CR/LF in the head' };
  const lines = head.split('\r\n');
  const requestLine = lines[0] as string;
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) return { status: 400, reason: 'malformed request line' };
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  const version = requestLine.slice(sp2 + 1);
  if (!TOKEN.test(method) || !TARGET.test(target)) return { status: 400, reason: 'malformed request line' };
  let minor: 0 | 1;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else if (/^HTTP\/[0-9]\.[0-9]$/.test(version)) return { status: 505, reason: `unsupported version ${version}` };
  else return { status: 400, reason: 'malformed request line' };

  const f = readFields(lines);
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
  let hosts = 0;
  let xff: string | undefined;
  let hasProto = false;
  let hasXHost = false;
  let host = '';
  let upgradeValue: string | undefined;
  let expectContinue = false;
  for (let i = 0; i < f.names.length; i++) {
    const name = f.names[i] as string;
    if (name === 'host') {
      hosts++;
      const line = f.lines[i] as string;
      host = line.slice(line.indexOf(':') + 1).trim();
    } else if (name === 'x-forwarded-proto') hasProto = true;
    else if (name === 'x-forwarded-host') hasXHost = true;
    else if (name === 'upgrade') upgradeValue = valueOf(f, 'upgrade');
    else if (name === 'expect') expectContinue = valueOf(f, 'expect')?.toLowerCase() === '100-continue';
  }
  if (minor === 1 && hosts !== 1) return { status: 400, reason: hosts === 0 ? 'missing Host' : 'repeated Host' };
  if (hosts > 1) return { status: 400, reason: 'repeated Host' };
  const upgrade = upgradeValue !== undefined && f.connection.has('upgrade');
  const keepAlive = minor === 1 ? !f.connection.has('close') : f.connection.has('keep-alive');

  let out = `${requestLine}\r\n`;
  for (let i = 0; i < f.names.length; i++) {
    const name = f.names[i] as string;
    if (HOP_BY_HOP.has(name) || (f.connection.has(name) && !PROTECTED.has(name))) continue;
    if (name === 'x-forwarded-for') {
      const line = f.lines[i] as string;
      const value = line.slice(line.indexOf(':') + 1).trim();
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    out += `${f.lines[i] as string}\r\n`;
  }
  out += xff === undefined || xff === '' ? `X-Forwarded-For: ${clientIp}\r\n` : `X-Forwarded-For: ${xff}, ${clientIp}\r\n`;
  if (!hasProto) out += 'X-Forwarded-Proto: http\r\n';
  if (!hasXHost && host !== '') out += `X-Forwarded-Host: ${host}\r\n`;
  if (upgrade) out += `Connection: Upgrade\r\nUpgrade: ${upgradeValue ?? ''}\r\n`;
  else if (minor === 0) out += 'Connection: keep-alive\r\n';
  out += '\r\n';
  return { method, target, minor, keepAlive, body, upgrade, expectContinue, forward: out };
}

/** Parses a response head (bytes before CRLFCRLF, latin1) to a request with method `method`. */
export function parseResponseHead(head: string, method: string): ResponseHead | string {
  if (BAD_CHARS.test(head)) return 'control character or bare CR/LF in the head';
  const lines = head.split('\r\n');
  const statusLine = lines[0] as string;
  if (statusLine.length < 12 || !statusLine.startsWith('HTTP/1.') || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 0x20)) return 'malformed status line';
  const m = statusLine.charCodeAt(7);
  if ((m !== 0x30 && m !== 0x31) || statusLine.charCodeAt(8) !== 0x20) return 'malformed status line';
  const code = statusLine.slice(9, 12);
  if (!DIGITS.test(code)) return 'malformed status code';
  const status = Number(code);
  if (status < 100) return 'malformed status code';
  const minor = m === 0x31 ? 1 : 0;
  const f = readFields(lines);
  if (f.error !== undefined) return f.error;
  let body: BodyFraming;
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) body = NO_BODY;
  else if (f.transferEncoding !== undefined) body = lastCoding(f.transferEncoding) === 'chunked' ? CHUNKED : UNTIL_CLOSE;
  else if (f.contentLength !== undefined) body = f.contentLength === 0 ? NO_BODY : { kind: 'length', length: f.contentLength };
  else body = UNTIL_CLOSE;
  const keepAlive = body.kind !== 'close' && (minor === 1 ? !f.connection.has('close') : f.connection.has('keep-alive'));
  let headers = '';
  const keepUpgrade = status === 101;
  for (let i = 0; i < f.names.length; i++) {
    const name = f.names[i] as string;
    if (keepUpgrade && name === 'upgrade') {
      headers += `${f.lines[i] as string}\r\n`;
      continue;
    }
    if (HOP_BY_HOP.has(name) || (f.connection.has(name) && !PROTECTED.has(name))) continue;
    // A message with both is answered as chunked; the length would lie to the client.
    if (name === 'content-length' && f.transferEncoding !== undefined) continue;
    headers += `${f.lines[i] as string}\r\n`;
  }
  return { status, minor, keepAlive, body, statusLine, headers, upgradeValue: keepUpgrade ? valueOf(f, 'upgrade') : undefined };
}
