import type { Clock, Disposable, Event, Logger, TimerHandle, TimestampSource } from '../core/index.js';
import { DisposableStore } from '../core/index.js';
import {
  ServiceStatus,
  isTombstone,
  keepsDraining,
  lifespans,
  type Service,
  type ServicesState,
  type StatusCode,
  type UndrainOutcome,
} from '../catalog/index.js';
import type { BroadcastScheduler } from './broadcast-scheduler.js';
import { DrainPolicy, UNDRAIN_HOLD_MS } from './drain-policy.js';

/**
 * How often every local record is stamped `Updated` = now and merged again, in ms. Default
 * 10 s. The Go Sidecar did it every second (§2.5); records live 80 s without a refresh
 * (ALIVE_LIFESPAN), are re-announced once a minute and travel with every push/pull, so a copy
 * at most 10 s old still leaves peers 70 s. Every second it was most of the idle cost of an
 * agent with 10,000 services (bench/catalog-scale.ts). Changes do not wait for it: they are
 * stamped, merged and announced when discovery or health reports them.
 */
export const REFRESH_INTERVAL_MS = 10_000;

/** This host's discovered services (their `Updated` and `Status` are not used). */
export interface LocalDiscovery {
  services(): readonly Service[];
  /** The list changed (a container started or stopped, the static file was edited). */
  readonly onDidChange: Event<void>;
}

/** The health checks of this host's services. */
export interface LocalHealth {
  /** The status the check of `id` gives; UNKNOWN without a check. */
  statusOf(id: string): StatusCode;
  /** A check's status changed. */
  readonly onDidChangeStatus: Event<{ readonly id: string }>;
  /** Given the discovered list whenever it changes: one check per service (the only feed). */
  track(services: readonly Service[]): void;
}

export interface LocalServicesOptions {
  readonly state: ServicesState;
  readonly stamps: TimestampSource;
  readonly scheduler: BroadcastScheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly discovery: LocalDiscovery;
  readonly health: LocalHealth;
  /** See {@link REFRESH_INTERVAL_MS}; tests use the Go Sidecar's 1000. */
  readonly refreshIntervalMs?: number;
}

/**
 * The one owner of this host's own services and their lifecycle: discovered → health status →
 * drained / undrained / maintenance → stamped `Updated` → merged into the state → announced;
 * gone → tombstoned. It acts on events: a discovery change, a health result, a drain or the
 * end of an undrain hold is stamped, merged and announced (first copy at once, then the
 * timed repeats) on the next timer turn. Its loops are for refresh and expiry only:
 * - every {@link REFRESH_INTERVAL_MS}, every local record is stamped and merged, and
 *   re-announced once a minute (ALIVE_BROADCAST_INTERVAL_MS);
 * - every 2 s, records past their lifespan (any host's) are tombstoned and sent 10 times.
 *
 * One change from the Go Sidecar: a local service an operator drained stays DRAINING while
 * health keeps passing (keepsDraining), so the drain itself is announced.
 * Drain and maintenance: `drain(id)` sets DRAINING; `undrain(id)` announces UNKNOWN and holds
 * it for {@link UNDRAIN_HOLD_MS} before health decides; maintenance drains every local service
 * (and any discovered later) and, turned off, undrains those it drained.
 */
export class LocalServices implements Disposable {
  private readonly drains = new DrainPolicy();
  private readonly subscriptions = new DisposableStore();
  private readonly timers: TimerHandle[] = [];
  private readonly pendingTimers = new Set<TimerHandle>();
  private lastAnnounceMs = Number.NEGATIVE_INFINITY;
  private flushQueued = false;
  private discoveryChanged = false;

  constructor(private readonly options: LocalServicesOptions) {}

  get inMaintenance(): boolean {
    return this.drains.inMaintenance;
  }

  /** Feeds health, runs a first round, subscribes to discovery and health, starts the loops. */
  start(): void {
    if (this.timers.length > 0 || this.subscriptions.isDisposed) return;
    const { clock, discovery, health } = this.options;
    health.track(discovery.services());
    this.aliveTick();
    this.subscriptions.add(discovery.onDidChange(() => this.changed(true)));
    this.subscriptions.add(health.onDidChangeStatus(() => this.changed(false)));
    this.timers.push(clock.setInterval(() => this.aliveTick(), this.options.refreshIntervalMs ?? REFRESH_INTERVAL_MS));
    this.timers.push(clock.setInterval(() => this.tombstoneTick(), lifespans.TOMBSTONE_SLEEP_INTERVAL_MS));
  }

  dispose(): void {
    this.subscriptions.dispose();
    for (const handle of this.timers.splice(0)) this.options.clock.clearInterval(handle);
    for (const handle of this.pendingTimers) this.options.clock.clearTimeout(handle);
    this.pendingTimers.clear();
  }

  /**
   * The refresh round: every local record stamped now and merged; new or changed ones
   * announced (5 timed sends), and every one once a minute (1 send). Announcing runs before
   * merging, so "new" is judged against what peers were last told.
   */
  aliveTick(): void {
    const { state, scheduler, clock } = this.options;
    const nowMs = clock.nowMs();
    const services = this.current(nowMs);
    // Half a round early rather than a whole round late: a timer a few ms early must not push
    // the minute's re-announce to the next round (70 s of the 80 s lifespan).
    const slackMs = (this.options.refreshIntervalMs ?? REFRESH_INTERVAL_MS) / 2;
    const dueForRefresh = nowMs - this.lastAnnounceMs >= lifespans.ALIVE_BROADCAST_INTERVAL_MS - slackMs;
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
      scheduler.send(batch, haveNew ? lifespans.ALIVE_COUNT : 1);
    }
    for (const svc of services) state.addServiceEntry(svc);
  }

  /** The expiry round: records past their lifespan and our services discovery no longer reports. */
  tombstoneTick(): void {
    const { state, scheduler } = this.options;
    const expired = state.tombstoneExpired();
    const vanished = state.tombstoneVanished(this.discoveredIds());
    const batch = [...vanished, ...expired];
    if (batch.length > 0) scheduler.send(batch, lifespans.TOMBSTONE_COUNT);
  }

  /** Sets a local instance DRAINING; returns it as stored, or undefined when it is not here. */
  drain(id: string): Service | undefined {
    const svc = this.liveLocal(id);
    if (svc === undefined) return undefined;
    this.drains.drained(id);
    return svc.status === ServiceStatus.DRAINING ? svc : this.announce(svc, ServiceStatus.DRAINING);
  }

  undrain(id: string): UndrainOutcome {
    const svc = this.liveLocal(id);
    if (svc === undefined) return { kind: 'notFound' };
    if (this.drains.inMaintenance) return { kind: 'maintenance', service: svc };
    this.drains.undrained(id);
    if (svc.status !== ServiceStatus.DRAINING) return { kind: 'notDraining', service: svc };
    return { kind: 'undrained', service: this.release(svc) };
  }

  /** Turns maintenance on or off; returns how many local services changed status. */
  setMaintenance(on: boolean): number {
    if (!this.drains.setMaintenance(on)) return 0;
    let changed = 0;
    for (const svc of this.liveLocals()) {
      if (on && svc.status !== ServiceStatus.DRAINING) {
        this.drains.release(svc.id);
        this.announce(svc, ServiceStatus.DRAINING);
        changed++;
      } else if (!on && svc.status === ServiceStatus.DRAINING && !this.drains.isDrainedByOperator(svc.id)) {
        this.release(svc);
        changed++;
      }
    }
    this.options.logger.info({ maintenance: on, changed }, on ? 'Maintenance on: local services DRAINING' : 'Maintenance off: local services undrained');
    return changed;
  }

  /**
   * A peer still holds one of our services DRAINING while we hold it ALIVE: it missed the
   * UNKNOWN of an undrain (got the ALIVE first, so the sticky rule kept DRAINING). Only a new
   * UNKNOWN can replace its copy, so the undrain is announced again. Called at most once a
   * second per service (the delegate's dispute limit); nothing happens for an instance an
   * operator drained, in maintenance, or while an undrain is still held.
   */
  peerKeptDrain(ours: Service, theirs: Service): void {
    const { drains } = this;
    if (!keepsDraining(theirs, ours) || drains.inMaintenance || drains.isDrainedByOperator(ours.id) || drains.isHeld(ours.id)) return;
    const svc = this.liveLocal(ours.id);
    if (svc?.status !== ServiceStatus.ALIVE) return;
    this.options.logger.info({ service: svc.name, id: svc.id }, 'A peer kept a local service DRAINING after its undrain; announcing the undrain again');
    this.release(svc);
  }

  /** Something changed: handled on the next timer turn (after the health round or sync running now). */
  private changed(discovery: boolean): void {
    if (discovery) this.discoveryChanged = true;
    if (this.flushQueued || this.subscriptions.isDisposed) return;
    this.flushQueued = true;
    const handle = this.options.clock.setTimeout(() => {
      this.pendingTimers.delete(handle);
      this.flushQueued = false;
      if (!this.subscriptions.isDisposed) this.flush();
    }, 0);
    this.pendingTimers.add(handle);
  }

  /**
   * The event path: health told of a changed list; each discovered record whose status differs from the
   * stored one stamped, merged and announced (first copy at once); vanished ones tombstoned.
   * Unchanged records are neither copied nor stamped.
   */
  private flush(): void {
    const { state, scheduler, stamps, discovery, health, clock } = this.options;
    const discovered = discovery.services();
    if (this.discoveryChanged) {
      this.discoveryChanged = false;
      health.track(discovered);
    }
    const nowMs = clock.nowMs();
    const present = new Set<string>();
    const changed: Service[] = [];
    for (const svc of discovered) {
      if (svc.id === '') continue;
      present.add(svc.id);
      const status = this.statusOf(svc, nowMs);
      const stored = state.getLocalServiceById(svc.id);
      if (stored !== undefined && stored.status === status) continue;
      state.addServiceEntry({ ...svc, status, updated: stamps.now() });
      const merged = state.getLocalServiceById(svc.id);
      if (merged?.status === status) changed.push(merged);
    }
    this.drains.retainOnly(present);
    const vanished = state.tombstoneVanished(present);
    if (vanished.length > 0) scheduler.send(vanished, lifespans.TOMBSTONE_COUNT, true);
    if (changed.length > 0) scheduler.send(changed, lifespans.ALIVE_COUNT, true);
  }

  /** Every discovered local service, stamped now, with the status health and drains give it. */
  private current(nowMs: number): Service[] {
    const { discovery, stamps } = this.options;
    const out: Service[] = [];
    const present = new Set<string>();
    for (const svc of discovery.services()) {
      if (svc.id === '') continue;
      present.add(svc.id);
      out.push({ ...svc, updated: stamps.now(), status: this.statusOf(svc, nowMs) });
    }
    this.drains.retainOnly(present);
    return out;
  }

  /** Health's status under the drains, and DRAINING kept against ALIVE (the sticky rule). */
  private statusOf(svc: Service, nowMs: number): StatusCode {
    const status = this.drains.statusFor(svc.id, this.options.health.statusOf(svc.id), nowMs);
    const stored = this.options.state.getLocalServiceById(svc.id);
    return stored !== undefined && keepsDraining(stored, { status }) ? ServiceStatus.DRAINING : status;
  }

  private discoveredIds(): Set<string> {
    const ids = new Set<string>();
    for (const svc of this.options.discovery.services()) if (svc.id !== '') ids.add(svc.id);
    return ids;
  }

  /** Announced UNKNOWN with a fresh stamp and held there for {@link UNDRAIN_HOLD_MS}; health decides after. */
  private release(svc: Service): Service {
    const { clock } = this.options;
    this.drains.hold(svc.id, clock.nowMs() + UNDRAIN_HOLD_MS);
    const handle = clock.setTimeout(() => {
      this.pendingTimers.delete(handle);
      this.changed(false);
    }, UNDRAIN_HOLD_MS);
    this.pendingTimers.add(handle);
    return this.announce(svc, ServiceStatus.UNKNOWN);
  }

  /** Stores the new status with a fresh `Updated` and announces it at once. */
  private announce(svc: Service, status: StatusCode): Service {
    const { state, stamps, scheduler } = this.options;
    const next: Service = { ...svc, status, updated: stamps.now() };
    state.addServiceEntry(next);
    const stored = state.getLocalServiceById(svc.id) ?? next;
    if (stored.status === status) scheduler.send([stored], lifespans.ALIVE_COUNT, true);
    return stored;
  }

  private liveLocal(id: string): Service | undefined {
    const svc = this.options.state.getLocalServiceById(id);
    return svc === undefined || isTombstone(svc) ? undefined : svc;
  }

  private liveLocals(): Service[] {
    const server = this.options.state.servers.get(this.options.state.hostname);
    return server === undefined ? [] : [...server.services.values()].filter((svc) => !isTombstone(svc));
  }
}
