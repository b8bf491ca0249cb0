import type { Event } from '../core/index.js';
import type { CheckSpec, Service, StatusCode } from '../catalog/index.js';

/** A URL that wants StateChangedEvent POSTs, found by discovery (static ListenPort, SidecarListener label). */
export interface ListenerSpec {
  /** `Service(<name>-<id>)`. */
  readonly name: string;
  readonly url: string;
}

/**
 * One way of finding this host's services (static file, Docker…). Implementations keep
 * their last good view and answer the three queries from memory, cheaply: the daemon calls
 * them every second.
 */
export interface DiscoverySource {
  /** `static`, `docker`… as in SIDECAR_DISCOVERY. */
  readonly name: string;
  /** Loads the first view. Rejects only on errors that should stop start-up. */
  start(): Promise<void>;
  /** Current services; `updated` is stamped by the caller, `status` by health. */
  services(): readonly Service[];
  /** The check for one of this source's services, or null when it has none. */
  healthCheck(svc: Service): CheckSpec | null;
  /**
   * Optional: the status the source itself knows for one of its services (Kubernetes
   * readiness), which replaces the health check's; undefined = health decides. A change of
   * it fires {@link onDidChange}, so it is announced at once, not at the next check round.
   */
  statusOf?(id: string): StatusCode | undefined;
  /** Listener URLs this source found. */
  listeners(): readonly ListenerSpec[];
  /** Fires when the set of services may have changed (reload, container start/stop). */
  readonly onDidChange: Event<void>;
  /** Stops watching; idempotent. */
  close(): Promise<void>;
}
