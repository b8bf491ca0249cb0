import { ServiceStatus, type StatusCode } from '../catalog/index.js';

/**
 * How long an undrained service is announced as UNKNOWN before its health check may make
 * it ALIVE again, in ms. Every peer (Go Sidecars too) keeps a stored DRAINING record when a
 * newer ALIVE arrives (DRAINING is sticky), but lets any other status replace it. So the
 * undrain goes out as UNKNOWN with a fresh `Updated`; if ALIVE followed at once, a peer
 * that got the ALIVE first would keep DRAINING and then ignore the older UNKNOWN for good.
 * The first copy goes out at once and the repeats 1 s apart (RETRANSMIT_INTERVAL_MS); gossip
 * spreads each through a cluster of hundreds in well under 2 s, hence 3 s.
 */
export const UNDRAIN_HOLD_MS = 3000;

/**
 * Which local services an operator has taken out of rotation: instances drained one by one,
 * the host's maintenance switch, and undrained instances held at UNKNOWN. Decisions only: the
 * owner of the local services ({@link LocalServices}) applies them to the records. The switch
 * lives in memory: a restarted agent starts out of maintenance.
 */
export class DrainPolicy {
  private maintenance = false;
  /** Instances drained one by one (they stay DRAINING when maintenance goes off). */
  private readonly drainedByOperator = new Set<string>();
  /** Undrained instances held at UNKNOWN until this clock time (ms). */
  private readonly heldUntilMs = new Map<string, number>();

  get inMaintenance(): boolean {
    return this.maintenance;
  }

  /** Turns the switch; false when it already was in that position. */
  setMaintenance(on: boolean): boolean {
    if (on === this.maintenance) return false;
    this.maintenance = on;
    return true;
  }

  isDrainedByOperator(id: string): boolean {
    return this.drainedByOperator.has(id);
  }

  isHeld(id: string): boolean {
    return this.heldUntilMs.has(id);
  }

  /** An operator drained `id`: it stays DRAINING until undrained. */
  drained(id: string): void {
    this.drainedByOperator.add(id);
    this.heldUntilMs.delete(id);
  }

  /** An operator undrained `id` (it may still be DRAINING under maintenance). */
  undrained(id: string): void {
    this.drainedByOperator.delete(id);
  }

  /** `id` goes UNKNOWN until `untilMs` (clock time), whatever its health says. */
  hold(id: string, untilMs: number): void {
    this.heldUntilMs.set(id, untilMs);
  }

  /** Maintenance drained `id`: a hold no longer applies. */
  release(id: string): void {
    this.heldUntilMs.delete(id);
  }

  /**
   * The status `healthStatus` becomes under the drains: DRAINING in maintenance; UNKNOWN
   * instead of ALIVE while an undrain is held (a hold past `nowMs` is dropped).
   */
  statusFor(id: string, healthStatus: StatusCode, nowMs: number): StatusCode {
    if (this.maintenance) return ServiceStatus.DRAINING;
    const until = this.heldUntilMs.get(id);
    if (until === undefined) return healthStatus;
    if (nowMs >= until) {
      this.heldUntilMs.delete(id);
      return healthStatus;
    }
    return healthStatus === ServiceStatus.ALIVE ? ServiceStatus.UNKNOWN : healthStatus;
  }

  /** Forgets instances no longer discovered. */
  retainOnly(present: ReadonlySet<string>): void {
    for (const id of this.drainedByOperator) if (!present.has(id)) this.drainedByOperator.delete(id);
    for (const id of this.heldUntilMs.keys()) if (!present.has(id)) this.heldUntilMs.delete(id);
  }
}
