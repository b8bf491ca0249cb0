import type { ServerResponse } from 'node:http';
import type { Disposable, Logger } from '../core/index.js';
import type { ServicesState } from '../catalog/index.js';
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
}

export interface WatchHubOptions {
  readonly state: ServicesState;
  readonly documents: StateDocuments;
  readonly logger: Logger;
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
 * The catalog subscription exists only while at least one client is connected.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private subscription: Disposable | undefined;
  private flushHandle: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly options: WatchHubOptions) {}

  /** Starts streaming to `res` (status and headers, then the current document). */
  add(res: ServerResponse, kind: WatchKind): void {
    if (this.closed) {
      res.destroy();
      return;
    }
    const watcher: Watcher = { res, kind, documentsWritten: 0, changesCoalesced: 0, backpressured: false, dirty: false };
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
    for (const watcher of [...this.watchers]) watcher.res.end();
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
    if (!res.write(doc)) watcher.backpressured = true;
  }

  private remove(watcher: Watcher): void {
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
