import type { ServerResponse } from 'node:http';
import { LogLimiter, type Clock, type Disposable, type Logger } from '../core/index.js';
import type { ServicesState } from '../catalog/index.js';
import { SlowReader, abortStream } from './slow-reader.js';
import type { StateDocuments } from './state-documents.js';

/** `byService`: the by-service map (default); `state`: the full state (`?by_service=false`). */
export type WatchKind = 'byService' | 'state';

/** Counters of one `/watch` client (for tests and metrics). */
export interface WatcherStats {
  readonly kind: WatchKind;
  /** Documents written to this client, the first one included. */
  readonly documentsWritten: number;
  /** Changes that found this client's socket backed up and were folded into a later document. */
  readonly changesCoalesced: number;
  /** Bytes queued in the process for this client (response buffer and socket). */
  readonly bufferedBytes: number;
  /** True while the last write is still waiting for the socket to drain. */
  readonly backpressured: boolean;
}

interface Watcher {
  readonly res: ServerResponse;
  readonly kind: WatchKind;
  documentsWritten: number;
  changesCoalesced: number;
  backpressured: boolean;
  /** A change arrived while backpressured: send the latest state on drain. */
  dirty: boolean;
  /** Drops the client when it stops reading. */
  readonly slow: SlowReader;
}

/** Default most watch clients: each may hold a state document or more in its socket. */
export const DEFAULT_MAX_WATCHERS = 64;
/** Default most bytes queued in the process for one client before it is dropped (8 MiB). */
export const DEFAULT_WATCH_MAX_BUFFER_BYTES = 8 * 1024 * 1024;
/** Least time between two "watch client refused" lines, in ms (1 min). */
const REFUSED_LOG_INTERVAL_MS = 60_000;
/** Default time a client's socket may stay full before it is dropped (30 s). */
export const DEFAULT_WATCH_STALL_TIMEOUT_MS = 30_000;

export interface WatchHubOptions {
  readonly state: ServicesState;
  readonly documents: StateDocuments;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Most clients at once; the next gets 503. Default {@link DEFAULT_MAX_WATCHERS}. */
  readonly maxWatchers?: number;
  /** Bytes queued in the process for one client past which it is dropped. */
  readonly maxBufferBytes?: number;
  /** How long a client's socket may stay full (it does not read) before it is dropped. */
  readonly stallTimeoutMs?: number;
}

/**
 * The `/watch` streams: one long chunked response per client, the first document at once
 * and then one per change, back to back with no separator (as the Go Sidecar writes them).
 *
 * It never slows the agent or other clients down:
 * - change events only schedule a flush (`setImmediate`); changes made in one synchronous
 *   burst are sent as one document holding all of them;
 * - each document is encoded once per state version and the same buffer is written to
 *   every client of that kind;
 * - a client whose socket is backed up (a write returned false) gets nothing more queued:
 *   it is marked dirty and, on `drain`, receives one document with the latest state. So at
 *   most one document beyond the socket's buffer is held per client, however slow it reads.
 * - a client that does not read is dropped (logged once) when its socket stays full for
 *   the stall timeout or more than the buffer cap is queued for it, so the kernel's send
 *   queue for it is freed too; at most `maxWatchers` clients are served (the next gets 503).
 * The catalog subscription exists only while at least one client is connected.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private subscription: Disposable | undefined;
  private flushHandle: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly maxWatchers: number;
  private readonly maxBufferBytes: number;
  private readonly stallTimeoutMs: number;
  private refusedCount = 0;
  private droppedCount = 0;
  /** One line per refusal would let a flood fill the log: the first, then one a minute with the count held back. */
  private readonly refusedLog: LogLimiter;

  constructor(private readonly options: WatchHubOptions) {
    this.maxWatchers = options.maxWatchers ?? DEFAULT_MAX_WATCHERS;
    this.maxBufferBytes = options.maxBufferBytes ?? DEFAULT_WATCH_MAX_BUFFER_BYTES;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_WATCH_STALL_TIMEOUT_MS;
    this.refusedLog = new LogLimiter(options.clock, REFUSED_LOG_INTERVAL_MS);
  }

  /** Clients refused (over the cap) and dropped (not reading) since start. */
  get counters(): { refused: number; dropped: number } {
    return { refused: this.refusedCount, dropped: this.droppedCount };
  }

  /** Starts streaming to `res` (status and headers, then the current document). */
  add(res: ServerResponse, kind: WatchKind): void {
    if (this.closed) {
      res.destroy();
      return;
    }
    if (this.watchers.size >= this.maxWatchers) {
      this.refusedCount++;
      const held = this.refusedLog.take();
      if (held !== undefined) {
        this.options.logger.warn({ max: this.maxWatchers, refused: this.refusedCount, suppressed: held }, 'watch client refused: too many watch clients');
      }
      const body = `503 Service Unavailable: this agent already serves ${this.maxWatchers} /watch clients (--api-max-watchers); try again later\n`;
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close', 'Retry-After': '5' });
      res.end(body);
      return;
    }
    const slow = new SlowReader(this.options.clock, this.maxBufferBytes, this.stallTimeoutMs, (why) => this.drop(watcher, why));
    const watcher: Watcher = { res, kind, documentsWritten: 0, changesCoalesced: 0, backpressured: false, dirty: false, slow };
    this.watchers.add(watcher);
    res.on('close', () => this.remove(watcher));
    res.on('drain', () => this.onDrain(watcher));
    res.on('error', (err) => this.options.logger.debug({ err: err.message }, 'watch client write failed'));
    this.subscription ??= this.options.state.onDidChangeService(this.onChange);
    this.options.logger.debug({ kind, watchers: this.watchers.size }, 'watch client connected');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    this.write(watcher);
  }

  /** Number of connected `/watch` clients. */
  get size(): number {
    return this.watchers.size;
  }

  stats(): WatcherStats[] {
    return [...this.watchers].map((w) => ({
      kind: w.kind,
      documentsWritten: w.documentsWritten,
      changesCoalesced: w.changesCoalesced,
      bufferedBytes: w.res.writableLength,
      backpressured: w.backpressured,
    }));
  }

  /** Ends every stream and stops listening to the catalog. Idempotent. */
  close(): void {
    this.closed = true;
    for (const watcher of [...this.watchers]) {
      watcher.slow.clear();
      watcher.res.end();
    }
    this.watchers.clear();
    this.unsubscribe();
  }

  private readonly onChange = (): void => {
    if (this.flushHandle !== undefined) return;
    this.flushHandle = setImmediate(() => {
      this.flushHandle = undefined;
      this.flush();
    });
  };

  private flush(): void {
    for (const watcher of this.watchers) {
      if (watcher.backpressured) {
        watcher.dirty = true;
        watcher.changesCoalesced++;
      } else {
        this.write(watcher);
      }
    }
  }

  private onDrain(watcher: Watcher): void {
    watcher.backpressured = false;
    watcher.slow.clear();
    if (!watcher.dirty) return;
    watcher.dirty = false;
    this.write(watcher);
  }

  private write(watcher: Watcher): void {
    const { res } = watcher;
    if (res.destroyed || res.writableEnded) return;
    const { documents } = this.options;
    const doc = watcher.kind === 'state' ? documents.stateJson() : documents.byServiceJson();
    watcher.documentsWritten++;
    if (res.write(doc)) return;
    watcher.backpressured = true;
    watcher.slow.full(res);
  }

  /** Drops a client that does not read: the socket goes at once (with what the kernel queued). */
  private drop(watcher: Watcher, why: string): void {
    if (!this.watchers.has(watcher)) return;
    this.droppedCount++;
    const socket = watcher.res.socket;
    this.options.logger.warn(
      { kind: watcher.kind, remote: socket?.remoteAddress, documents: watcher.documentsWritten, reason: why },
      'watch client dropped: it does not read its stream',
    );
    this.remove(watcher);
    abortStream(watcher.res);
  }

  private remove(watcher: Watcher): void {
    watcher.slow.clear();
    if (!this.watchers.delete(watcher)) return;
    this.options.logger.debug(
      { kind: watcher.kind, documents: watcher.documentsWritten, watchers: this.watchers.size },
      'watch client disconnected',
    );
    if (this.watchers.size === 0) this.unsubscribe();
  }

  private unsubscribe(): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
  }
}
