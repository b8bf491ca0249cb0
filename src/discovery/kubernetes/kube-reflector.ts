import { Backoff, ErrorCode, SidecarError, errorMessage, type Clock, type Logger, type TimerHandle } from '../../core/index.js';
import { KubeApiError, type KubeClient } from './kube-client.js';
import { isRecord, type KubeList, type KubeObject, type WatchEvent } from './kube-objects.js';
import { deniedMessage } from './rbac-message.js';

export interface KubeReflectorOptions {
  readonly client: KubeClient;
  /** `pods`, `services`: for logs and the RBAC message. */
  readonly resource: string;
  /** `/api/v1/pods`, `/api/v1/namespaces/web/services`. */
  readonly path: string;
  /** fieldSelector / labelSelector. */
  readonly query: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after the items changed (a list, or a watch event that changed something). */
  readonly onChange: () => void;
  /** Server-side length of one watch, in s. Default 300 to 600 at random (client-go: 5-10 min), so watches of many agents do not end together. */
  readonly watchTimeoutSeconds?: number;
  /** First retry delay after a failure, in ms; doubles up to retryMaxMs. Default 500. */
  readonly retryMinMs?: number;
  /** Longest delay between retries, in ms. Default 30 000: a control-plane outage of 100 agents costs about 3 requests/s. */
  readonly retryMaxMs?: number;
  readonly random?: () => number;
}

/** Items per list page: client-go's and kubectl's 500. */
const LIST_PAGE_SIZE = 500;

/**
 * List + watch of one resource, kept in memory (client-go's reflector): list, then watch
 * from the list's `resourceVersion` with bookmarks; a watch that ends is renewed from the last
 * version seen (no list); a 410 Gone (version too old) lists again; a failure is retried with
 * back-off while the last known items are kept. In steady state the only requests are
 * renewed watches (one every 5 to 10 minutes), never lists.
 */
export class KubeReflector<T extends KubeObject> {
  /** The objects by `namespace/name`. */
  readonly items = new Map<string, T>();
  /** Lists sent (for tests and the figures in docs/kubernetes.md). */
  lists = 0;
  /** Watches opened. */
  watches = 0;
  private version: string | undefined;
  private synced = false;
  private readonly backoff: Backoff;
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private sleepTimer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  /** The problem being reported, so an outage is logged once and its end too. */
  private problem: string | undefined;
  private readonly log: Logger;

  constructor(private readonly options: KubeReflectorOptions) {
    this.backoff = new Backoff({ initialMs: options.retryMinMs ?? 500, maxMs: options.retryMaxMs ?? 30_000, jitter: 0.2, ...(options.random === undefined ? {} : { random: options.random }) });
    this.log = options.logger;
  }

  /** True once a list has succeeded. */
  get hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the watch and the retries; idempotent. */
  async close(): Promise<void> {
    this.controller.abort();
    if (this.sleepTimer !== undefined) this.options.clock.clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        if (this.version === undefined) await this.list(signal);
        const started = this.options.clock.nowMs();
        const sawEvents = await this.watchOnce(signal);
        this.recovered();
        // A watch the server ends at once, again and again, must not become a busy loop.
        if (!sawEvents && this.options.clock.nowMs() - started < 1000) await this.sleep(this.backoff.next());
        else this.backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof KubeApiError && err.status === 410) {
          // The version is too old for the server's watch cache: list again, at once.
          this.log.info({ resource: this.options.resource }, `Kubernetes ${this.options.resource}: resourceVersion expired (410 Gone); listing again`);
          this.version = undefined;
          continue;
        }
        this.failed(err);
        await this.sleep(this.backoff.next());
      }
    }
  }

  /**
   * Lists in pages of {@link LIST_PAGE_SIZE} (as kubectl and client-go), so a large cluster's
   * Services never come as one huge body; the items replace the known ones only once the last
   * page is in (a failure half-way keeps the previous view).
   */
  private async list(signal: AbortSignal): Promise<void> {
    this.lists++;
    const items = new Map<string, T>();
    let version: string | undefined;
    let next: string | undefined;
    do {
      const answer = await this.options.client.getJson(this.options.path, { ...this.options.query, limit: String(LIST_PAGE_SIZE), ...(next === undefined ? {} : { continue: next }) }, signal);
      const doc = answer as KubeList<T>;
      if (!isRecord(answer) || !Array.isArray(doc.items)) throw new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `list ${this.options.path}: no items in the answer`);
      for (const item of doc.items) {
        const key = keyOf(item);
        if (key !== undefined) items.set(key, item);
      }
      // The first page's version is the snapshot's; later pages belong to it.
      version ??= doc.metadata?.resourceVersion;
      next = doc.metadata?.continue === undefined || doc.metadata.continue === '' ? undefined : doc.metadata.continue;
    } while (next !== undefined && !signal.aborted);
    this.items.clear();
    for (const [key, item] of items) this.items.set(key, item);
    this.version = version;
    this.synced = true;
    this.recovered();
    this.options.onChange();
  }

  /** One watch from the current version; true when it delivered at least one event. */
  private async watchOnce(signal: AbortSignal): Promise<boolean> {
    this.watches++;
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300 + Math.floor((this.options.random ?? Math.random)() * 300);
    let saw = false;
    await this.options.client.watch<T>(
      this.options.path,
      {
        ...this.options.query,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(timeoutSeconds),
        ...(this.version === undefined ? {} : { resourceVersion: this.version }),
      },
      signal,
      // The server ends the watch after timeoutSeconds; silence well past that means a dead connection.
      (timeoutSeconds + 30) * 1000,
      (event) => {
        saw = true;
        this.apply(event);
      },
      () => this.recovered(),
    );
    return saw;
  }

  private apply(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: unknown; reason?: unknown; message?: unknown };
      const code = typeof status.code === 'number' ? status.code : 500;
      throw new KubeApiError(code, typeof status.reason === 'string' ? status.reason : '', `watch ${this.options.path}: ${code} ${typeof status.message === 'string' ? status.message : ''}`);
    }
    const version = event.object.metadata?.resourceVersion;
    if (version !== undefined && version !== '') this.version = version;
    if (event.type === 'BOOKMARK') return;
    const key = keyOf(event.object);
    if (key === undefined) return;
    if (event.type === 'DELETED') this.items.delete(key);
    else this.items.set(key, event.object);
    this.options.onChange();
  }

  private failed(err: unknown): void {
    const verb = this.version === undefined ? 'list' : 'watch';
    const text = err instanceof KubeApiError && (err.status === 401 || err.status === 403) ? deniedMessage(err.status, verb, this.options.resource) : errorMessage(err);
    if (text === this.problem) return;
    this.problem = text;
    const code = err instanceof SidecarError ? err.code : ErrorCode.KUBERNETES_UNREACHABLE;
    this.log.warn({ code, resource: this.options.resource, retryInMs: Math.round(this.backoff.peekMs) }, `Kubernetes ${this.options.resource}: ${text}; keeping the last known ${this.options.resource} and retrying`);
  }

  private recovered(): void {
    if (this.problem === undefined) return;
    this.problem = undefined;
    this.log.info({ resource: this.options.resource }, `Kubernetes ${this.options.resource}: the API server answers again`);
  }

  private sleep(ms: number): Promise<void> {
    if (this.controller.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = this.options.clock.setTimeout(() => {
        this.sleepTimer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }
}

function keyOf(obj: KubeObject): string | undefined {
  const name = obj.metadata?.name;
  return typeof name === 'string' ? `${obj.metadata?.namespace ?? ''}/${name}` : undefined;
}
