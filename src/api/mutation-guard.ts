import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may change this agent through the API (drain, undrain, maintenance). Reads stay open
 * (the Go Sidecar's clients read without credentials); every mutation must pass, in order:
 *
 * 1. `Host` names this agent (one of its names or addresses, with or without a port):
 *    a page on `evil.example` that re-resolves its name to 127.0.0.1 (DNS rebinding)
 *    sends `Host: evil.example` and is refused;
 * 2. no foreign `Origin` (a browser sends one on every cross-origin POST, `no-cors` too)
 *    and no `Sec-Fetch-Site: cross-site`: cross-site request forgery is refused;
 * 3. with a token configured, `Authorization: Bearer <token>` or `X-Sidecar-Token`
 *    (never a query parameter: URLs end up in logs), compared in constant time: missing
 *    is 401, wrong is 403; with none configured, only loopback peers (the Go Sidecar's
 *    local tools, e.g. sidecar-executor's drain on localhost:7777) may mutate.
 */
export interface MutationGuardOptions {
  /** The token mutations need; undefined: loopback peers only. Never logged. */
  readonly token: string | undefined;
  /** Names and addresses of this agent accepted in `Host` and `Origin` (any case, no port). */
  readonly hostNames: readonly string[];
  /** The API's port once bound (for `Origin`, which always carries the effective port). */
  readonly port: () => number;
  /** True when the API serves HTTPS. */
  readonly tls: boolean;
}

/** How a mutation was let through, for the audit line. */
export type Authority = 'token' | 'loopback';

export type GuardVerdict =
  | { readonly ok: true; readonly authority: Authority }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

export class MutationGuard {
  private readonly names: ReadonlySet<string>;
  private readonly digest: Buffer | undefined;

  constructor(private readonly options: MutationGuardOptions) {
    this.names = new Set(options.hostNames.filter((n) => n !== '').map(normaliseHost));
    this.digest = options.token === undefined ? undefined : sha256(options.token);
  }

  /** True when a token is configured. */
  get hasToken(): boolean {
    return this.digest !== undefined;
  }

  check(req: IncomingMessage): GuardVerdict {
    const host = req.headers.host;
    if (host === undefined || !this.isOwnHost(host)) {
      return { ok: false, status: 403, reason: 'Host is not a name or address of this agent (DNS rebinding?)' };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.isOwnOrigin(origin)) {
      return { ok: false, status: 403, reason: 'cross-origin request (Origin is not this API)' };
    }
    if (header(req, 'sec-fetch-site') === 'cross-site') {
      return { ok: false, status: 403, reason: 'cross-site request (Sec-Fetch-Site)' };
    }
    if (this.digest !== undefined) {
      const presented = presentedToken(req);
      if (presented === undefined) return { ok: false, status: 401, reason: 'token missing' };
      return timingSafeEqual(sha256(presented), this.digest)
        ? { ok: true, authority: 'token' }
        : { ok: false, status: 403, reason: 'token wrong' };
    }
    return isLoopback(req.socket.remoteAddress)
      ? { ok: true, authority: 'loopback' }
      : { ok: false, status: 403, reason: 'no API token is configured, so only loopback peers may change this agent' };
  }

  /** `name`, `name:port`, `[v6]`, `[v6]:port` with `name` one of ours. */
  private isOwnHost(value: string): boolean {
    const split = splitHost(value.trim());
    return split !== undefined && this.names.has(split.host);
  }

  private isOwnOrigin(value: string): boolean {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false; // `null` and garbage are foreign
    }
    const scheme = this.options.tls ? 'https:' : 'http:';
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return url.protocol === scheme && port === this.options.port() && this.names.has(normaliseHost(url.hostname));
  }
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

function presentedToken(req: IncomingMessage): string | undefined {
  const auth = header(req, 'authorization');
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m?.[1] !== undefined) return m[1];
  }
  const custom = header(req, 'x-sidecar-token');
  return custom === undefined || custom.trim() === '' ? undefined : custom.trim();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

function splitHost(value: string): { host: string } | undefined {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return undefined;
    const rest = value.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return { host: normaliseHost(value.slice(1, close)) };
  }
  const colon = value.indexOf(':');
  if (colon < 0) return { host: normaliseHost(value) };
  if (!/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
  return { host: normaliseHost(value.slice(0, colon)) };
}
