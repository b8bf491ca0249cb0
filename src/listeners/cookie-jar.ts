import type { Clock } from '../core/index.js';

interface StoredCookie {
  readonly value: string;
  /** Wall-clock ms after which the cookie is gone; null = for the life of the listener. */
  readonly expiresMs: number | null;
}

/**
 * The cookies of one listener URL, as Go's `http.Client` with a cookie jar keeps them: the
 * `sidecar-session-host` cookie set at start, plus whatever the endpoint (typically a load
 * balancer doing sticky sessions) sets with `Set-Cookie`, sent back on later POSTs.
 *
 * The jar only ever serves one URL, so of RFC 6265's rules it keeps those that can refuse a
 * cookie for that URL: `Path` must match the URL's path, `Domain` must match its host,
 * `Secure` cookies are not kept for http, and `Max-Age`/`Expires` end a cookie.
 */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  constructor(
    private readonly url: URL,
    private readonly clock: Clock,
  ) {}

  set(name: string, value: string, expiresMs: number | null): void {
    this.cookies.set(name, { value, expiresMs });
  }

  /** Applies the `Set-Cookie` headers of a response. */
  storeFromResponse(setCookie: readonly string[] | undefined): void {
    for (const line of setCookie ?? []) this.storeOne(line);
  }

  /** The `Cookie` request header, or null when there is no cookie to send. */
  header(): string | null {
    const now = this.clock.nowMs();
    const parts: string[] = [];
    for (const [name, cookie] of this.cookies) {
      if (cookie.expiresMs !== null && cookie.expiresMs <= now) {
        this.cookies.delete(name);
        continue;
      }
      parts.push(`${name}=${cookieValue(cookie.value)}`);
    }
    return parts.length === 0 ? null : parts.join('; ');
  }

  private storeOne(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!TOKEN.test(name) || ![...value].every(isCookieValueChar)) return;

    const now = this.clock.nowMs();
    let expiresMs: number | null = null;
    let maxAgeSeen = false;
    for (const attribute of attributes) {
      const i = attribute.indexOf('=');
      const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? '' : attribute.slice(i + 1).trim();
      switch (key) {
        case 'max-age': {
          if (!/^-?\d+$/.test(val)) break;
          maxAgeSeen = true;
          expiresMs = Number(val) <= 0 ? now : now + Number(val) * 1000;
          break;
        }
        case 'expires': {
          const at = Date.parse(val);
          if (!maxAgeSeen && !Number.isNaN(at)) expiresMs = at;
          break;
        }
        case 'path':
          if (val.startsWith('/') && !pathMatches(this.url.pathname, val)) return;
          break;
        case 'domain':
          if (val !== '' && !domainMatches(this.url.hostname, val)) return;
          break;
        case 'secure':
          if (this.url.protocol !== 'https:') return;
          break;
        default:
          break;
      }
    }
    if (expiresMs !== null && expiresMs <= now) this.cookies.delete(name);
    else this.cookies.set(name, { value, expiresMs });
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isCookieValueChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 0x20 && code < 0x7f && c !== '"' && c !== ';' && c !== '\\';
}

/** Go's `sanitizeCookieValue`: invalid bytes dropped, quoted when it holds a space or a comma. */
export function cookieValue(value: string): string {
  const clean = [...value].filter(isCookieValueChar).join('');
  return /[ ,]/.test(clean) ? `"${clean}"` : clean;
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host: string, domain: string): boolean {
  const d = domain.replace(/^\./, '').toLowerCase();
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === d) return true;
  const isIp = /^[\d.]+$/.test(h) || h.includes(':');
  return !isIp && h.endsWith(`.${d}`);
}
