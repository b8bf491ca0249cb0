import http from 'node:http';
import https from 'node:https';
import {
  ErrorCode,
  SidecarError,
  errorMessage,
  formatGoTimeString,
  msToTimestamp,
  redactUrls,
  type Clock,
  type Logger,
  type TimerHandle,
} from '../core/index.js';
import type { ChangeEvent } from '../catalog/index.js';
import { CookieJar } from './cookie-jar.js';

export interface UrlListenerOptions {
  /** `UrlListener(<url>)` for LISTENERS_URLS entries, `Service(<name>-<id>)` for discovered ones. */
  readonly name: string;
  readonly url: string;
  /** Node name, the first part of the `sidecar-session-host` cookie. */
  readonly hostname: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Builds the POST body for an event when the event is taken from the buffer. */
  readonly body: (event: ChangeEvent) => string;
  /** Events waiting to be posted, beyond the one in flight. Default 20, as in the Go Sidecar. */
  readonly bufferSize?: number;
  /** Time allowed for one POST attempt, from connect to the end of the answer, in ms. Default 3000, as in Go's client timeout. */
  readonly timeoutMs?: number;
  /** Attempts after the first one. Default 5, as in Go (6 attempts in all). */
  readonly retries?: number;
}

export interface UrlListenerStats {
  /** Events delivered (a 2xx answer). */
  readonly posted: number;
  /** Events given up after every attempt failed (or whose body could not be built). */
  readonly failed: number;
  /** Events dropped because the buffer was full. */
  readonly dropped: number;
}

const DEFAULT_BUFFER_SIZE = 20;
const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_RETRIES = 5;
/** Lifetime the Go Sidecar gives its session cookie: one year. */
const SESSION_COOKIE_LIFETIME_MS = 365 * 24 * 3600 * 1000;

/**
 * Go's `withRetries` pause after failed attempt `n` (0-based): 100 ms × (n − 1), never
 * negative, so 0, 0, 100, 200, 300, 400 ms.
 */
export function retryDelayMs(attempt: number): number {
  return Math.max(0, 100 * (attempt - 1));
}

/**
 * Sends each change event to one URL as a Go Sidecar StateChangedEvent POST
 * (`Content-Type: application/json`, `sidecar-session-host` cookie), one at a time and in
 * order. Events wait in a bounded buffer; when it is full the new event is dropped with a
 * warning, so a slow endpoint never holds up the catalog. Failures are retried with Go's
 * pauses and logged after the last attempt; nothing is thrown.
 *
 * Fixed from the Go Sidecar: every retry posts the full body (Go's retries sent an empty
 * one), and response bodies are drained so connections are reused.
 */
export class UrlListener {
  readonly name: string;
  readonly url: string;
  private readonly logger: Logger;
  private readonly bufferSize: number;
  private readonly timeoutMs: number;
  private readonly retries: number;

  private readonly queue: ChangeEvent[] = [];
  private pump: Promise<void> | null = null;
  private target: URL | null = null;
  private agent: http.Agent | null = null;
  private jar: CookieJar | null = null;
  private inFlight: AbortController | null = null;
  private pause: { timer: TimerHandle; resolve: () => void } | null = null;
  private started = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private counts = { posted: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: UrlListenerOptions) {
    this.name = options.name;
    this.url = options.url;
    // Listener URLs may carry credentials (userinfo, ?token=): logged redacted.
    this.logger = options.logger.child({ listener: redactUrls(options.name), url: redactUrls(options.url) });
    this.bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.retries ?? DEFAULT_RETRIES;
  }

  get stats(): UrlListenerStats {
    return { ...this.counts };
  }

  /** Checks the URL and sets the session cookie; a bad URL is logged and the listener stays idle. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    let target: URL;
    try {
      target = new URL(this.url);
    } catch {
      this.logBadUrl('not a URL');
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      this.logBadUrl(`scheme ${target.protocol} is not http: or https:`);
      return;
    }
    const { clock, hostname } = this.options;
    const now = clock.nowMs();
    this.jar = new CookieJar(target, clock);
    this.jar.set('sidecar-session-host', `${hostname}-${formatGoTimeString(msToTimestamp(now))}`, now + SESSION_COOKIE_LIFETIME_MS);
    const agentOptions = { keepAlive: true };
    this.agent = target.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.target = target;
  }

  /** Queues an event without blocking; returns false when it was dropped. */
  notify(event: ChangeEvent): boolean {
    if (this.closed || this.target === null) return false;
    if (this.queue.length >= this.bufferSize) {
      this.counts.dropped++;
      this.logger.warn(
        { service: event.service.name, id: event.service.id, bufferSize: this.bufferSize },
        'listener buffer full, dropping change event',
      );
      return false;
    }
    this.queue.push(event);
    this.pump ??= this.drain().finally(() => {
      this.pump = null;
    });
    return true;
  }

  /** Stops: the request in flight is aborted and waiting events are dropped. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.queue.length = 0;
    this.inFlight?.abort(new SidecarError(ErrorCode.LISTENER_POST_FAILED, 'listener closed'));
    if (this.pause !== null) {
      this.options.clock.clearTimeout(this.pause.timer);
      this.pause.resolve();
      this.pause = null;
    }
    this.closing = (async () => {
      await this.pump;
      this.agent?.destroy();
      this.agent = null;
    })();
    return this.closing;
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event !== undefined && !this.closed; event = this.queue.shift()) {
      let body: Buffer;
      try {
        body = Buffer.from(this.options.body(event), 'utf8');
      } catch (err) {
        this.counts.failed++;
        this.logger.warn({ err: errorMessage(err) }, 'cannot build the listener POST body; event skipped');
        continue;
      }
      await this.deliver(body);
    }
  }

  private async deliver(body: Buffer): Promise<void> {
    let lastError: unknown;
    const attempts = this.retries + 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await this.post(body);
        this.counts.posted++;
        return;
      } catch (err) {
        if (this.closed) return;
        lastError = err;
        this.logger.debug({ attempt: attempt + 1, err: errorMessage(err) }, 'listener POST failed');
      }
      await this.wait(retryDelayMs(attempt));
      if (this.closed) return;
    }
    this.counts.failed++;
    this.logger.warn(
      { code: ErrorCode.LISTENER_POST_FAILED, attempts, err: errorMessage(lastError) },
      `failed posting state to ${redactUrls(this.url)} after ${attempts} attempts`,
    );
  }

  /** One POST; resolves on a 2xx answer, rejects otherwise. */
  private post(body: Buffer): Promise<void> {
    const target = this.target;
    const jar = this.jar;
    if (target === null || jar === null) return Promise.reject(new Error('listener not started'));
    const controller = new AbortController();
    this.inFlight = controller;
    const { clock } = this.options;
    const timer = clock.setTimeout(() => {
      controller.abort(new SidecarError(ErrorCode.LISTENER_POST_FAILED, `no answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'Content-Length': body.length,
    };
    const cookie = jar.header();
    if (cookie !== null) headers['Cookie'] = cookie;
    const request = target.protocol === 'https:' ? https.request : http.request;

    return new Promise<void>((resolve, reject) => {
      const fail = (err: unknown): void => {
        clock.clearTimeout(timer);
        reject(controller.signal.aborted ? controller.signal.reason : err);
      };
      const req = request(target, { method: 'POST', headers, agent: this.agent ?? undefined, signal: controller.signal }, (res) => {
        jar.storeFromResponse(res.headers['set-cookie']);
        // Drain the body so the connection can be reused; its content does not matter. The
        // timer runs on until the body ends, so an endless body does not hold the socket.
        res.on('error', () => undefined);
        res.on('close', () => clock.clearTimeout(timer));
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status <= 299) resolve();
        else reject(new SidecarError(ErrorCode.LISTENER_POST_FAILED, `bad status code returned (${status})`));
      });
      req.on('error', fail);
      req.end(body);
    }).finally(() => {
      if (this.inFlight === controller) this.inFlight = null;
    });
  }

  private wait(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(() => {
        this.pause = null;
        resolve();
      }, ms);
      this.pause = { timer, resolve };
    });
  }

  private logBadUrl(why: string): void {
    this.logger.error(
      { code: ErrorCode.LISTENER_BAD_URL },
      `listener URL ${JSON.stringify(redactUrls(this.url))} is unusable (${why}); no events will be posted to it`,
    );
  }
}
