import type { ServerResponse } from 'node:http';
import { LogLimiter, type Clock, type Logger, type TimerHandle } from '../core/index.js';
import { SlowReader, abortStream } from './slow-reader.js';

/** Counters of one event-stream client (for tests and metrics). */
export interface EventClientStats {
  /** Events written to this client (heartbeats not counted). */
  readonly eventsWritten: number;
  /** Events replaced by a newer one of the same kind while the client's socket was full. */
  readonly eventsReplaced: number;
  /** Bytes queued in the process for this client (response buffer and socket). */
  readonly bufferedBytes: number;
  readonly backpressured: boolean;
}

interface Client {
  readonly res: ServerResponse;
  eventsWritten: number;
  eventsReplaced: number;
  backpressured: boolean;
  /** The latest event of each kind that arrived while backpressured, sent on drain in order. */
  readonly pending: Map<string, Buffer>;
  readonly slow: SlowReader;
}

/** Default time between heartbeat comments (15 s): under the 30–60 s idle limits of common proxies. */
export const DEFAULT_EVENTS_HEARTBEAT_MS = 15_000;
/** What the browser waits before reconnecting (the SSE `retry:` field), in ms: 2 s. */
const RECONNECT_MS = 2000;
/** Least time between two "event client refused" lines, in ms (1 min). */
const REFUSED_LOG_INTERVAL_MS = 60_000;

export interface EventStreamHubOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Most clients at once; the next gets 503. The agent passes the watch stream's cap. */
  readonly maxClients: number;
  /** Bytes queued in the process for one client past which it is dropped. */
  readonly maxBufferBytes: number;
  /** How long a client's socket may stay full before it is dropped, in ms. */
  readonly stallTimeoutMs: number;
  /** Time between heartbeat comments, in ms. Default {@link DEFAULT_EVENTS_HEARTBEAT_MS}. */
  readonly heartbeatMs?: number;
  /** The events a new client gets first (the current snapshot of each kind). */
  readonly initial: () => ReadonlyArray<{ readonly kind: string; readonly data: unknown }>;
  /** Told when the first client connects (true) and when the last one leaves (false). */
  readonly onActive?: (active: boolean) => void;
}

/**
 * A server-sent events stream (`text/event-stream`) to any number of browsers, with the
 * watch stream's discipline (see WatchHub):
 * - each event is encoded once and the same buffer is written to every client;
 * - every kind of event is "latest wins": a client whose socket is backed up gets nothing
 *   more queued; the newest event of each kind waits (one per kind, so what is held per
 *   client is bounded by the number of kinds) and goes out on `drain`;
 * - a client that does not read is dropped when its socket stays full for the stall
 *   timeout or more than the buffer cap is queued for it; at most `maxClients` are served;
 * - a heartbeat comment goes out every `heartbeatMs` so idle intermediaries keep the
 *   connection and a browser notices a dead agent; its timer runs only while a client is
 *   connected.
 */
export class EventStreamHub {
  private readonly clients = new Set<Client>();
  private readonly heartbeatMs: number;
  private heartbeat: TimerHandle | undefined;
  private closed = false;
  private refusedCount = 0;
  private droppedCount = 0;
  private readonly refusedLog: LogLimiter;

  constructor(private readonly options: EventStreamHubOptions) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_EVENTS_HEARTBEAT_MS;
    this.refusedLog = new LogLimiter(options.clock, REFUSED_LOG_INTERVAL_MS);
  }

  /** Clients refused (over the cap) and dropped (not reading) since start. */
  get counters(): { refused: number; dropped: number } {
    return { refused: this.refusedCount, dropped: this.droppedCount };
  }

  get size(): number {
    return this.clients.size;
  }

  stats(): EventClientStats[] {
    return [...this.clients].map((c) => ({
      eventsWritten: c.eventsWritten,
      eventsReplaced: c.eventsReplaced,
      bufferedBytes: c.res.writableLength,
      backpressured: c.backpressured,
    }));
  }

  /** Starts streaming to `res`: status, headers, the reconnect delay, then the initial events. */
  add(res: ServerResponse): void {
    if (this.closed) {
      res.destroy();
      return;
    }
    if (this.clients.size >= this.options.maxClients) {
      this.refuse(res);
      return;
    }
    const { clock, maxBufferBytes, stallTimeoutMs } = this.options;
    const client: Client = {
      res,
      eventsWritten: 0,
      eventsReplaced: 0,
      backpressured: false,
      pending: new Map(),
      slow: new SlowReader(clock, maxBufferBytes, stallTimeoutMs, (why) => this.drop(client, why)),
    };
    this.clients.add(client);
    res.on('close', () => this.remove(client));
    res.on('drain', () => this.onDrain(client));
    res.on('error', (err) => this.options.logger.debug({ err: err.message }, 'event stream client write failed'));
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(`retry: ${RECONNECT_MS}\n\n`);
    if (this.clients.size === 1) {
      this.heartbeat = this.options.clock.setInterval(this.beat, this.heartbeatMs);
      this.options.onActive?.(true);
    }
    this.options.logger.debug({ clients: this.clients.size }, 'event stream client connected');
    for (const event of this.options.initial()) this.send(client, event.kind, encodeEvent(event.kind, event.data));
  }

  /** Sends an event of `kind` to every client (encoded once). */
  publish(kind: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = encodeEvent(kind, data);
    for (const client of this.clients) this.send(client, kind, frame);
  }

  /** Ends every stream. Idempotent. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) {
      this.remove(client);
      client.res.end();
    }
  }

  private send(client: Client, kind: string, frame: Buffer): void {
    if (client.backpressured) {
      if (client.pending.has(kind)) client.eventsReplaced++;
      // Delete first so the kind moves to the end: pending events go out in arrival order.
      client.pending.delete(kind);
      client.pending.set(kind, frame);
      return;
    }
    this.write(client, frame);
  }

  private write(client: Client, frame: Buffer | string, isEvent = true): void {
    const { res } = client;
    if (res.destroyed || res.writableEnded) return;
    if (isEvent) client.eventsWritten++;
    if (res.write(frame)) return;
    client.backpressured = true;
    client.slow.full(res);
  }

  private onDrain(client: Client): void {
    client.backpressured = false;
    client.slow.clear();
    const entries = [...client.pending];
    client.pending.clear();
    for (const [i, [, frame]] of entries.entries()) {
      if (client.backpressured) {
        // Full again: the rest wait for the next drain (each is still the newest of its kind).
        for (const [k, f] of entries.slice(i)) client.pending.set(k, f);
        return;
      }
      this.write(client, frame);
    }
  }

  private readonly beat = (): void => {
    for (const client of this.clients) if (!client.backpressured) this.write(client, ': keep-alive\n\n', false);
  };

  private refuse(res: ServerResponse): void {
    this.refusedCount++;
    const held = this.refusedLog.take();
    if (held !== undefined) {
      this.options.logger.warn({ max: this.options.maxClients, refused: this.refusedCount, suppressed: held }, 'event stream client refused: too many clients');
    }
    const body = `503 Service Unavailable: this agent already serves ${this.options.maxClients} /api/events clients (--api-max-watchers); try again later\n`;
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close', 'Retry-After': '5' });
    res.end(body);
  }

  /** Drops a client that does not read: the socket goes at once (with what the kernel queued). */
  private drop(client: Client, why: string): void {
    if (!this.clients.has(client)) return;
    this.droppedCount++;
    const socket = client.res.socket;
    this.options.logger.warn({ remote: socket?.remoteAddress, events: client.eventsWritten, reason: why }, 'event stream client dropped: it does not read its stream');
    this.remove(client);
    abortStream(client.res);
  }

  private remove(client: Client): void {
    client.slow.clear();
    client.pending.clear();
    if (!this.clients.delete(client)) return;
    this.options.logger.debug({ events: client.eventsWritten, clients: this.clients.size }, 'event stream client disconnected');
    if (this.clients.size > 0) return;
    if (this.heartbeat !== undefined) this.options.clock.clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.options.onActive?.(false);
  }
}

/** One SSE frame: `event: <kind>` and the JSON on one `data:` line (JSON.stringify never emits a newline). */
export function encodeEvent(kind: string, data: unknown): Buffer {
  return Buffer.from(`event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`, 'utf8');
}

