import type { Clock, Logger, TimestampSource } from '../core/index.js';
import { ServiceStatus, isTombstone, keepsDraining, lifespans, type BroadcastScheduler, type Service, type ServicesState } from '../catalog/index.js';
import type { UndrainOutcome } from '../api/index.js';

/**
 * How long an undrained service is announced as UNKNOWN before its health check may make
 * it ALIVE again, in ms. Every peer (Go Sidecars too) keeps a stored DRAINING record when a
 * newer ALIVE arrives (DRAINING is sticky), but lets any other status replace it. So the
 * undrain goes out as UNKNOWN with a fresh `Updated`; if ALIVE followed at once, a peer
 * that got the ALIVE first would keep DRAINING and then ignore the older UNKNOWN for good.
 * The broadcast scheduler sends the first copy 1 s after the change (RETRANSMIT_INTERVAL_MS)
 * and gossip spreads it through a cluster of hundreds in well under 2 s more, hence 3 s.
 */
export const UNDRAIN_HOLD_MS = 3000;

export interface DrainControlOptions {
  readonly state: ServicesState;
  readonly stamps: TimestampSource;
  readonly scheduler: BroadcastScheduler;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Drain, undrain and the host's maintenance switch for this host's services: the one place
 * that decides which local services an operator has taken out of rotation.
 *
 * - `drain(id)`: the instance goes DRAINING, announced at once (5 timed sends); DRAINING
 *   stays while its health check passes (the sticky rule in the state and local sync).
 * - `undrain(id)`: announced UNKNOWN (see {@link UNDRAIN_HOLD_MS}), held there, then its
 *   health check decides as for a new service.
 * - maintenance on: every local service, and any discovered later, is DRAINING; off: those
 *   it drained are undrained as above (instances drained one by one stay DRAINING).
 *
 * Local sync asks {@link adjust} for every local service on each round; it holds no timers.
 * The switch lives in memory: a restarted agent starts out of maintenance.
 */
export class DrainControl {
  private maintenance = false;
  /** Instances drained one by one (they stay DRAINING when maintenance goes off). */
  private readonly drainedByOperator = new Set<string>();
  /** Undrained instances held at UNKNOWN until this clock time (ms). */
  private readonly heldUntilMs = new Map<string, number>();

  constructor(private readonly options: DrainControlOptions) {}

  get inMaintenance(): boolean {
    return this.maintenance;
  }

  /**
   * A peer still holds one of our services DRAINING while we hold it ALIVE: it missed the
   * UNKNOWN of an undrain (got the ALIVE first, so the sticky rule kept DRAINING). Only a new
   * UNKNOWN can replace its copy, so the undrain is announced again. Called at most once a
   * second per service (the delegate's dispute limit); nothing happens for an instance an
   * operator drained, in maintenance, or while an undrain is still held.
   */
  peerKeptDrain(ours: Service, theirs: Service): void {
    if (!keepsDraining(theirs, ours) || this.maintenance || this.drainedByOperator.has(ours.id) || this.heldUntilMs.has(ours.id)) return;
    const svc = this.liveLocal(ours.id);
    if (svc?.status !== ServiceStatus.ALIVE) return;
    this.options.logger.info({ service: svc.name, id: svc.id }, 'A peer kept a local service DRAINING after its undrain; announcing the undrain again');
    this.release(svc);
  }

  /** Sets a local instance DRAINING; returns it as stored, or undefined when it is not here. */
  drain(id: string): Service | undefined {
    const svc = this.liveLocal(id);
    if (svc === undefined) return undefined;
    this.drainedByOperator.add(id);
    this.heldUntilMs.delete(id);
    return svc.status === ServiceStatus.DRAINING ? svc : this.announce(svc, ServiceStatus.DRAINING);
  }

  undrain(id: string): UndrainOutcome {
    const svc = this.liveLocal(id);
    if (svc === undefined) return { kind: 'notFound' };
    if (this.maintenance) return { kind: 'maintenance', service: svc };
    this.drainedByOperator.delete(id);
    if (svc.status !== ServiceStatus.DRAINING) return { kind: 'notDraining', service: svc };
    return { kind: 'undrained', service: this.release(svc) };
  }

  /** Turns maintenance on or off; returns how many local services changed status. */
  setMaintenance(on: boolean): number {
    if (on === this.maintenance) return 0;
    this.maintenance = on;
    let changed = 0;
    for (const svc of this.liveLocals()) {
      if (on && svc.status !== ServiceStatus.DRAINING) {
        this.heldUntilMs.delete(svc.id);
        this.announce(svc, ServiceStatus.DRAINING);
        changed++;
      } else if (!on && svc.status === ServiceStatus.DRAINING && !this.drainedByOperator.has(svc.id)) {
        this.release(svc);
        changed++;
      }
    }
    this.options.logger.info({ maintenance: on, changed }, on ? 'Maintenance on: local services DRAINING' : 'Maintenance off: local services undrained');
    return changed;
  }

  /**
   * The hook for local sync: this host's services as discovery and health report them,
   * with the statuses drain and maintenance impose (DRAINING in maintenance; UNKNOWN
   * instead of ALIVE while an undrain is held). Forgets instances no longer reported.
   */
  adjust(services: readonly Service[]): Service[] {
    const nowMs = this.options.clock.nowMs();
    const present = new Set<string>();
    const out = services.map((svc) => {
      present.add(svc.id);
      if (this.maintenance) return svc.status === ServiceStatus.DRAINING ? svc : { ...svc, status: ServiceStatus.DRAINING };
      const until = this.heldUntilMs.get(svc.id);
      if (until === undefined) return svc;
      if (nowMs >= until) {
        this.heldUntilMs.delete(svc.id);
        return svc;
      }
      return svc.status === ServiceStatus.ALIVE ? { ...svc, status: ServiceStatus.UNKNOWN } : svc;
    });
    for (const id of this.drainedByOperator) if (!present.has(id)) this.drainedByOperator.delete(id);
    for (const id of this.heldUntilMs.keys()) if (!present.has(id)) this.heldUntilMs.delete(id);
    return out;
  }

  /** Announced UNKNOWN with a fresh stamp and held there for {@link UNDRAIN_HOLD_MS}. */
  private release(svc: Service): Service {
    this.heldUntilMs.set(svc.id, this.options.clock.nowMs() + UNDRAIN_HOLD_MS);
    return this.announce(svc, ServiceStatus.UNKNOWN);
  }

  /**
   * Stores the new status with a fresh `Updated` and announces it like any new status (the
   * alive round would not: the state already holds it when that round next runs).
   */
  private announce(svc: Service, status: number): Service {
    const { state, stamps, scheduler } = this.options;
    const next: Service = { ...svc, status, updated: stamps.now() };
    state.addServiceEntry(next);
    const stored = state.getLocalServiceById(svc.id) ?? next;
    if (stored.status === status) scheduler.send([stored], lifespans.ALIVE_COUNT);
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
