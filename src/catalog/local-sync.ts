import type { Clock, Disposable, TimerHandle } from '../core/index.js';
import type { BroadcastScheduler } from './broadcast-scheduler.js';
import {
  ALIVE_BROADCAST_INTERVAL_MS,
  ALIVE_COUNT,
  ALIVE_SLEEP_INTERVAL_MS,
  TOMBSTONE_COUNT,
  TOMBSTONE_SLEEP_INTERVAL_MS,
} from './lifespans.js';
import { keepsDraining, type Service } from './service.js';
import type { ServicesState } from './services-state.js';
import { ServiceStatus } from './status.js';

export interface LocalSyncOptions {
  readonly state: ServicesState;
  readonly scheduler: BroadcastScheduler;
  readonly clock: Clock;
  /**
   * This host's services right now, with `Updated` = now and the status health gives them.
   * Called once per tick; must be cheap and must not throw.
   */
  readonly localServices: () => readonly Service[];
  /**
   * The IDs of those services, for the tombstone round; default: from localServices(). Given,
   * it spares a stamped copy of every record every 2 s (10,000 services: a third of the idle
   * agent's garbage, bench/catalog-scale.ts).
   */
  readonly localIds?: () => Iterable<string>;
}

/**
 * The three loops that keep our own records in the state and on the wire:
 * - every 1 s, announce new or changed local services (5 timed sends) and every other one
 *   once a minute, then merge all of them (refreshing `Updated`);
 * - every 2 s, expire records past their lifespan and tombstone our services that
 *   discovery no longer reports (10 timed sends).
 *
 * Announcing runs before merging in the same tick, so "new" is judged against what peers
 * were last told. One change from the Go Sidecar: a local service an operator drained
 * stays DRAINING while health keeps passing, so the drain itself is announced (the Go
 * version announced ALIVE again every second and relied on push/pull to spread the drain).
 */
export class LocalServiceSync implements Disposable {
  private lastAnnounceMs = Number.NEGATIVE_INFINITY;
  private readonly timers: TimerHandle[] = [];

  constructor(private readonly options: LocalSyncOptions) {}

  start(): void {
    if (this.timers.length > 0) return;
    const { clock } = this.options;
    this.timers.push(clock.setInterval(() => this.aliveTick(), ALIVE_SLEEP_INTERVAL_MS));
    this.timers.push(clock.setInterval(() => this.tombstoneTick(), TOMBSTONE_SLEEP_INTERVAL_MS));
  }

  /** One announce-and-track round (exposed for tests and for an immediate first round). */
  aliveTick(): void {
    const { state, scheduler, clock } = this.options;
    const services = this.currentServices();
    const nowMs = clock.nowMs();
    const dueForRefresh = nowMs - this.lastAnnounceMs >= ALIVE_BROADCAST_INTERVAL_MS;
    let haveNew = false;
    const batch: Service[] = [];
    for (const svc of services) {
      if (state.isNewService(svc)) {
        haveNew = true;
        batch.push(svc);
      } else if (dueForRefresh) {
        batch.push(svc);
      }
    }
    if (batch.length > 0) {
      this.lastAnnounceMs = nowMs;
      scheduler.send(batch, haveNew ? ALIVE_COUNT : 1);
    }
    for (const svc of services) state.addServiceEntry(svc);
  }

  /** One expiry-and-tombstone round. */
  tombstoneTick(): void {
    const { state, scheduler } = this.options;
    const expired = state.tombstoneExpired();
    const { localIds } = this.options;
    const ids = new Set(localIds === undefined ? this.options.localServices().map((s) => s.id) : localIds());
    const vanished = state.tombstoneVanished(ids);
    const batch = [...vanished, ...expired];
    if (batch.length > 0) scheduler.send(batch, TOMBSTONE_COUNT);
  }

  dispose(): void {
    for (const handle of this.timers.splice(0)) this.options.clock.clearInterval(handle);
  }

  private currentServices(): Service[] {
    const { state } = this.options;
    return this.options.localServices().map((svc) => {
      const stored = state.getService(svc.hostname, svc.id);
      return stored !== undefined && keepsDraining(stored, svc) ? { ...svc, status: ServiceStatus.DRAINING } : svc;
    });
  }
}
