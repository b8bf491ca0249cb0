import { DisposableStore, type Event } from '../core/index.js';
import type { CheckSpec, Service, StatusCode } from '../catalog/index.js';
import type { DiscoverySource, ListenerSpec } from './source.js';

/**
 * Several discovery sources as one, in the configured order (SIDECAR_DISCOVERY): services
 * and listeners are concatenated in that order, and a service's health check comes from the
 * first source that returns one with a non-empty type (as the Go Sidecar's MultiDiscovery).
 *
 * Unlike the Go Sidecar, where a `kubernetes_api` discoverer blocked the ones listed after
 * it, every source is started.
 */
export class MultiDiscovery implements DiscoverySource {
  /** The sources' names joined with commas, as in SIDECAR_DISCOVERY (`static,docker`). */
  readonly name: string;
  private closing: Promise<void> | null = null;

  constructor(private readonly sources: readonly DiscoverySource[]) {
    this.name = sources.map((s) => s.name).join(',');
  }

  /** Fires when any source fires. */
  readonly onDidChange: Event<void> = (listener) => {
    const store = new DisposableStore();
    for (const source of this.sources) store.add(source.onDidChange(listener));
    return store;
  };

  /**
   * Starts the sources one after the other, in order. If one rejects, the ones already
   * started are closed and the error is passed on.
   */
  async start(): Promise<void> {
    const started: DiscoverySource[] = [];
    for (const source of this.sources) {
      try {
        await source.start();
      } catch (err) {
        await Promise.allSettled([...started, source].map((s) => s.close()));
        throw err;
      }
      started.push(source);
    }
  }

  services(): readonly Service[] {
    if (this.sources.length === 1) return this.sources[0]?.services() ?? [];
    return this.sources.flatMap((s) => s.services());
  }

  healthCheck(svc: Service): CheckSpec | null {
    for (const source of this.sources) {
      const check = source.healthCheck(svc);
      if (check !== null && check.type !== '') return check;
    }
    return null;
  }

  /** The first source's own status for `id` (see DiscoverySource.statusOf); undefined when none has one. */
  statusOf(id: string): StatusCode | undefined {
    for (const source of this.sources) {
      const status = source.statusOf?.(id);
      if (status !== undefined) return status;
    }
    return undefined;
  }

  listeners(): readonly ListenerSpec[] {
    return this.sources.flatMap((s) => s.listeners());
  }

  /** Closes every source (all of them, even if one fails); idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled(this.sources.map((s) => s.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.closing;
  }
}
