import { errorMessage, redactUrls, type Clock, type Logger } from '../core/index.js';
import type { ChangeEvent } from '../catalog/index.js';
import { UrlListener, type UrlListenerStats } from './url-listener.js';

export interface ListenerManagerOptions {
  /** Node name (for the `sidecar-session-host` cookie). */
  readonly hostname: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** LISTENERS_URLS: permanent listeners named `UrlListener(<url>)`. */
  readonly staticUrls: readonly string[];
  /** Builds the POST body of an event (the StateChangedEvent JSON) when a listener takes it. */
  readonly body: (event: ChangeEvent) => string;
}

/**
 * A listener URL found by discovery (the same shape as discovery's ListenerSpec, declared
 * here so that listeners does not depend on discovery).
 */
export interface DiscoveredListener {
  /** `Service(<name>-<id>)`. */
  readonly name: string;
  readonly url: string;
}

/** One listener as the API or UI may show it. */
export interface ListenerInfo extends UrlListenerStats {
  readonly name: string;
  readonly url: string;
  /** True for discovered listeners (removed when their service goes). */
  readonly managed: boolean;
}

interface Entry {
  readonly listener: UrlListener;
  readonly managed: boolean;
}

/**
 * The URL listeners of this node: the permanent ones from LISTENERS_URLS and the managed
 * ones discovery finds (static `ListenPort`, Docker `SidecarListener`), which the daemon
 * hands to {@link sync} every second. Each change event goes to every listener without
 * blocking.
 *
 * Beyond the Go Sidecar: a discovered listener whose URL changed under the same name is
 * replaced (Go kept the old URL), and a URL listed twice in LISTENERS_URLS gets one listener.
 */
export class ListenerManager {
  private readonly entries = new Map<string, Entry>();
  private readonly closingListeners = new Set<Promise<void>>();
  private readonly logger: Logger;
  private started = false;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: ListenerManagerOptions) {
    this.logger = options.logger;
  }

  /** Creates the permanent listeners. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const url of this.options.staticUrls) {
      const name = `UrlListener(${url})`;
      if (this.entries.has(name)) continue;
      this.add(name, url, false);
      this.logger.info({ listener: redactUrls(name) }, 'added listener from LISTENERS_URLS');
    }
  }

  /**
   * Makes the managed listeners match what discovery reports: new names are added, names no
   * longer reported are stopped and removed. Permanent listeners are never touched.
   */
  sync(discovered: readonly DiscoveredListener[]): void {
    if (!this.started || this.closed) return;
    const wanted = new Map<string, string>();
    for (const spec of discovered) if (!wanted.has(spec.name)) wanted.set(spec.name, spec.url);
    for (const [name, entry] of this.entries) {
      if (!entry.managed) continue;
      const url = wanted.get(name);
      if (url === entry.listener.url) continue;
      this.remove(name, entry);
      this.logger.info(
        { listener: redactUrls(name), url: redactUrls(entry.listener.url) },
        url === undefined ? 'removing listener: its service is gone' : 'replacing listener: its URL changed',
      );
    }
    for (const [name, url] of wanted) {
      if (this.entries.has(name)) continue;
      this.add(name, url, true);
      this.logger.info({ listener: redactUrls(name), url: redactUrls(url) }, 'added discovered listener');
    }
  }

  /** Hands the event to every listener; never blocks (full buffers drop it). */
  notify(event: ChangeEvent): void {
    for (const { listener } of this.entries.values()) listener.notify(event);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): ListenerInfo[] {
    return [...this.entries.values()].map(({ listener, managed }) => ({
      name: listener.name,
      url: listener.url,
      managed,
      ...listener.stats,
    }));
  }

  /** Stops every listener (requests in flight are aborted); idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    for (const [name, entry] of this.entries) this.remove(name, entry);
    this.closing = Promise.all([...this.closingListeners]).then(() => undefined);
    return this.closing;
  }

  private add(name: string, url: string, managed: boolean): void {
    const { hostname, clock, logger, body } = this.options;
    const listener = new UrlListener({ name, url, hostname, clock, logger, body });
    this.entries.set(name, { listener, managed });
    listener.start();
  }

  private remove(name: string, entry: Entry): void {
    this.entries.delete(name);
    const done = entry.listener
      .close()
      .catch((err: unknown) => this.logger.warn({ listener: redactUrls(name), err: errorMessage(err) }, 'closing listener failed'))
      .finally(() => this.closingListeners.delete(done));
    this.closingListeners.add(done);
  }
}
