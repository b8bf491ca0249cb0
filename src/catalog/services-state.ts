import { Emitter, EPOCH, rethrowToProducer, type Clock, type Event, type Logger, type Timestamp, msToTimestamp, TimestampSource } from '../core/index.js';
import type { ChangeCause, ChangeEvent } from './change-event.js';
import type { ServerView, StateView } from './codec.js';
import { groupByService } from './codec.js';
import {
  ALIVE_LIFESPAN_NS,
  DRAINING_LIFESPAN_NS,
  EXPIRY_BUMP_NS,
  TOMBSTONE_COPIES,
  TOMBSTONE_LIFESPAN_NS,
} from './lifespans.js';
import { invalidates, isDraining, keepsDraining, isTombstone, staleBefore, type Service } from './service.js';
import { ServiceStatus } from './status.js';
import { StateJson } from './state-json.js';

interface ServerRecord {
  readonly name: string;
  readonly services: Map<string, Service>;
  lastUpdated: Timestamp;
  lastChanged: Timestamp;
}

export interface ServicesStateOptions {
  /** This node's name; records with this `Hostname` are ours and never relayed. */
  readonly hostname: string;
  readonly clusterName: string;
  readonly clock: Clock;
  /** Shared stamp source so every timestamp this host emits is strictly increasing. */
  readonly stamps: TimestampSource;
  readonly logger: Logger;
}

/**
 * The whole cluster's service records, keyed by host then ID, and the Go Sidecar's merge
 * rules. Every update from any source (discovery, gossip, push/pull, drain) goes through
 * {@link addServiceEntry}. No I/O: change events and relays are announced through events.
 */
export class ServicesState implements StateView {
  readonly hostname: string;
  readonly clusterName: string;
  /** The compact full-state JSON, encoded once per version and shared by the API, push/pull and URL listeners. */
  readonly json: StateJson = new StateJson(this);
  private readonly records = new Map<string, ServerRecord>();
  private lastChangedAt: Timestamp = EPOCH;
  private revision = 0;
  // A listener's bug reaches the caller of the merge once every listener has run: the gossip
  // delegate logs it and carries on, a local caller crashes as for any bug.
  private readonly changed = new Emitter<ChangeEvent>(rethrowToProducer);
  private readonly relay = new Emitter<Service>(rethrowToProducer);
  private readonly clock: Clock;
  private readonly stamps: TimestampSource;
  private readonly log: Logger;
  /** staleBefore(now) for the millisecond `staleCutoffMs`: this host merges 10,000 records a second in one ms. */
  private staleCutoffMs = Number.NaN;
  private staleCutoff: Timestamp = 0n;
  /** Always-on counters (metrics): status changes by the new status code (0–4; other codes count as 1), stale records dropped. */
  private readonly changesByStatus = [0, 0, 0, 0, 0];
  private staleDropped = 0;

  /** A record changed status (see {@link ChangeEvent}). */
  readonly onDidChangeService: Event<ChangeEvent> = this.changed.event;
  /** A record from another host was accepted as newer and should be gossiped on once. */
  readonly onDidAcceptRemote: Event<Service> = this.relay.event;

  constructor(options: ServicesStateOptions) {
    this.hostname = options.hostname;
    this.clusterName = options.clusterName;
    this.clock = options.clock;
    this.stamps = options.stamps;
    this.log = options.logger;
  }

  get servers(): ReadonlyMap<string, ServerView> {
    return this.records;
  }

  get lastChanged(): Timestamp {
    return this.lastChangedAt;
  }

  /** Bumped on every mutation, including timestamp refreshes; for caches. */
  get version(): number {
    return this.revision;
  }

  /** Counters since start: status changes by the new status code (index 0–4), stale records dropped. */
  get stats(): { readonly stateChanges: readonly number[]; readonly staleRecordsDropped: number } {
    return { stateChanges: [...this.changesByStatus], staleRecordsDropped: this.staleDropped };
  }

  /** Every record grouped by service name, oldest `Updated` first. */
  byService(): Map<string, Service[]> {
    return groupByService(this);
  }

  hasServer(hostname: string): boolean {
    return this.records.has(hostname);
  }

  /** The record `id` on this host, if any. */
  getLocalServiceById(id: string): Service | undefined {
    return this.records.get(this.hostname)?.services.get(id);
  }

  getService(hostname: string, id: string): Service | undefined {
    return this.records.get(hostname)?.services.get(id);
  }

  /** Applies one record with the Go Sidecar's merge rules. */
  addServiceEntry(incoming: Service): void {
    const nowMs = this.clock.nowMs();
    if (nowMs !== this.staleCutoffMs) {
      this.staleCutoffMs = nowMs;
      this.staleCutoff = staleBefore(msToTimestamp(nowMs));
    }
    if (incoming.updated < this.staleCutoff) {
      this.staleDropped++;
      this.log.warn(
        { hostname: incoming.hostname, service: incoming.name, id: incoming.id },
        'Dropping stale service received on gossip',
      );
      this.removeServiceEntry(incoming.hostname, incoming.id);
      return;
    }
    let server = this.records.get(incoming.hostname);
    if (server === undefined) {
      server = { name: incoming.hostname, services: new Map(), lastUpdated: EPOCH, lastChanged: EPOCH };
      this.records.set(incoming.hostname, server);
    }
    const stored = server.services.get(incoming.id);
    if (stored === undefined) {
      server.services.set(incoming.id, incoming);
      this.revision++;
      this.serviceChanged(incoming, ServiceStatus.UNKNOWN, 'new');
      this.relayIfRemote(incoming);
      return;
    }
    if (!invalidates(incoming, stored)) return;
    server.lastUpdated = incoming.updated;
    const next = keepsDraining(stored, incoming) ? { ...incoming, status: ServiceStatus.DRAINING } : incoming;
    server.services.set(next.id, next);
    this.revision++;
    if (stored.status !== next.status) this.serviceChanged(next, stored.status, 'update');
    this.relayIfRemote(next);
  }

  /**
   * Tombstones every live record of `hostname` (the node left or was declared dead) with
   * `Updated` = now. Returns the tombstones to broadcast; empty when it had no live records.
   * Unlike the Go Sidecar, records that already are tombstones are left as they are.
   */
  expireServer(hostname: string): Service[] {
    const server = this.records.get(hostname);
    if (server === undefined) return [];
    const live = [...server.services.values()].filter((s) => !isTombstone(s));
    if (live.length === 0) return [];
    // The replicator says it at info ("Tombstoned the services of the departed member"), and each record's change line why.
    this.log.debug({ hostname, records: live.length }, 'Expiring records of a departed host');
    return live.map((svc) => this.tombstone(server, svc, this.stamps.now(), 'host-left'));
  }

  /**
   * Lifespan housekeeping over every host (our own included): drops tombstones older than
   * 3 h and tombstones records not refreshed for 80 s (10 min when DRAINING) with
   * `Updated` + 1 s. Returns the new tombstones.
   */
  tombstoneExpired(): Service[] {
    const now = msToTimestamp(this.clock.nowMs());
    const result: Service[] = [];
    for (const server of [...this.records.values()]) {
      for (const svc of [...server.services.values()]) {
        if (isTombstone(svc)) {
          if (svc.updated < now - TOMBSTONE_LIFESPAN_NS) this.removeServiceEntry(server.name, svc.id);
          continue;
        }
        const lifespan = isDraining(svc) ? DRAINING_LIFESPAN_NS : ALIVE_LIFESPAN_NS;
        if (svc.updated < now - lifespan) {
          // Said by the change event's log line (its cause is `expired`).
          result.push(this.tombstone(server, svc, svc.updated + EXPIRY_BUMP_NS, 'expired'));
        }
      }
    }
    return result;
  }

  /**
   * Tombstones our own records whose IDs discovery no longer reports, with `Updated` = now.
   * Each tombstone appears twice in the returned batch (the Go Sidecar's 2 copies).
   */
  tombstoneVanished(currentIds: ReadonlySet<string>): Service[] {
    const server = this.records.get(this.hostname);
    if (server === undefined) return [];
    const result: Service[] = [];
    for (const svc of [...server.services.values()]) {
      if (currentIds.has(svc.id) || isTombstone(svc)) continue;
      // Said by the change event's log line (its cause is `vanished`).
      const tomb = this.tombstone(server, svc, this.stamps.now(), 'vanished');
      for (let i = 0; i < TOMBSTONE_COPIES; i++) result.push(tomb);
    }
    return result;
  }

  /** New to the state, or a non-tombstone whose status differs from the stored one. */
  isNewService(svc: Service): boolean {
    const found = this.getService(svc.hostname, svc.id);
    return found === undefined || (!isTombstone(svc) && svc.status !== found.status);
  }

  close(): void {
    this.changed.dispose();
    this.relay.dispose();
  }

  private tombstone(server: ServerRecord, svc: Service, updated: Timestamp, cause: ChangeCause): Service {
    const tomb: Service = { ...svc, status: ServiceStatus.TOMBSTONE, updated };
    server.services.set(svc.id, tomb);
    this.revision++;
    this.serviceChanged(tomb, svc.status, cause);
    return tomb;
  }

  private removeServiceEntry(hostname: string, id: string): void {
    const server = this.records.get(hostname);
    if (server === undefined || !server.services.delete(id)) return;
    this.revision++;
    if (server.services.size === 0) this.records.delete(hostname);
  }

  private serviceChanged(svc: Service, previousStatus: number, cause: ChangeCause): void {
    const server = this.records.get(svc.hostname);
    if (server !== undefined) {
      server.lastUpdated = svc.updated;
      server.lastChanged = svc.updated;
    }
    this.lastChangedAt = svc.updated;
    const code = svc.status >= 0 && svc.status <= 4 ? svc.status : ServiceStatus.TOMBSTONE;
    this.changesByStatus[code] = (this.changesByStatus[code] ?? 0) + 1;
    this.changed.fire({ service: svc, previousStatus, time: this.lastChangedAt, cause });
  }

  private relayIfRemote(svc: Service): void {
    if (svc.hostname !== this.hostname) this.relay.fire(svc);
  }
}
