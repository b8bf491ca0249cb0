/**
 * Request-target handling the way Go's `net/url` and `net/http` do it, so that odd paths
 * get the answers the Go Sidecar gave: percent-decoding of the path (a bad escape is a
 * 400), path cleaning (`//`, `.` and `..` segments redirect), and `Query().Get()`.
 *
 * Node hands over the request line as latin1 text, so every character of a raw target is
 * one byte; decoded paths are read as UTF-8 with invalid bytes replaced by U+FFFD.
 */

export type RequestTarget =
  /** An origin-form (or absolute-form) target, split at the first `?`. */
  | { readonly kind: 'path'; readonly rawPath: string; readonly rawQuery: string }
  /** `*`: only meaningful for `OPTIONS * HTTP/1.1`. */
  | { readonly kind: 'asterisk' }
  | { readonly kind: 'invalid'; readonly reason: string };

const ABSOLUTE_FORM = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/;

export function parseRequestTarget(target: string): RequestTarget {
  if (target === '*') return { kind: 'asterisk' };
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return { kind: 'invalid', reason: 'control character in URL' };
  }
  let rest = target;
  const absolute = ABSOLUTE_FORM.exec(rest);
  if (absolute !== null) rest = rest.slice(absolute[0].length);
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const rawQuery = q < 0 ? '' : rest.slice(q + 1);
  if (absolute === null && !rawPath.startsWith('/')) return { kind: 'invalid', reason: 'request target is not an absolute path' };
  return { kind: 'path', rawPath, rawQuery };
}

/** Percent-decodes a raw path (`+` stays `+`); `null` when an escape is malformed. */
export function decodePath(rawPath: string): string | null {
  if (!rawPath.includes('%')) return latin1ToUtf8(rawPath);
  const bytes = percentDecode(rawPath, false);
  return bytes === null ? null : bytes.toString('utf8');
}

function latin1ToUtf8(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return Buffer.from(text, 'latin1').toString('utf8');
  }
  return text;
}

function percentDecode(text: string, plusIsSpace: boolean): Buffer | null {
  const input = Buffer.from(text, 'latin1');
  const out = Buffer.allocUnsafe(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i] ?? 0;
    if (b === 0x25) {
      const hi = hexValue(input[i + 1]);
      const lo = hexValue(input[i + 2]);
      if (hi < 0 || lo < 0) return null;
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = plusIsSpace && b === 0x2b ? 0x20 : b;
    }
  }
  return out.subarray(0, n);
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/**
 * Go's `cleanPath` (net/http and gorilla/mux): rooted, `.`/`..`/empty segments resolved,
 * a trailing slash kept.
 */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const rooted = path.startsWith('/') ? path : `/${path}`;
  const segments: string[] = [];
  for (const segment of rooted.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const cleaned = `/${segments.join('/')}`;
  return rooted.endsWith('/') && cleaned !== '/' ? `${cleaned}/` : cleaned;
}

// Bytes Go's url.URL.EscapedPath leaves alone in a path.
const PATH_SAFE = /^[A-Za-z0-9\-_.~$&+,/:;=@]$/;

/** Go's path escaping (`url.URL{Path: p}.EscapedPath()`), for redirect locations. */
export function escapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PATH_SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Go's `url.Query().Get(key)`: pairs split on `&`, pairs holding `;` or a bad escape are
 * skipped, `+` means space, the first value wins, a missing key gives `''`.
 */
export function queryGet(rawQuery: string, key: string): string {
  if (rawQuery === '') return '';
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const k = percentDecode(rawKey, true);
    const v = percentDecode(rawValue, true);
    if (k === null || v === null) continue;
    if (k.toString('utf8') === key) return v.toString('utf8');
  }
  return '';
}
