import { BugError, DisposableStore, errorMessage, type Event, type Logger } from '../core/index.js';
import { keepsDraining, lifespans, type Service, type ServicesState } from '../catalog/index.js';
import { broadcastKey, type BroadcastScheduler } from './broadcast-scheduler.js';
import type { GossipCluster, Member } from '../membership/index.js';
import { formatMemberAddress } from './member-details.js';
import type { OwnRecordDispute } from './services-delegate.js';

export interface ReplicatorOptions {
  readonly state: ServicesState;
  /** The timed sends of local batches (announces, tombstones); each send is gossiped. */
  readonly scheduler: BroadcastScheduler;
  readonly cluster: GossipCluster;
  readonly logger: Logger;
  /** Our own records a peer holds stale copies of (ServicesDelegate.onDidDisputeOwnRecord): re-announced at once. */
  readonly disputes?: Event<OwnRecordDispute>;
}

/** Counters since start (always on). */
export interface ReplicatorStats {
  /** Records handed to the cluster from the scheduler's batches. */
  readonly broadcasts: number;
  /** Records from other hosts accepted as newer and gossiped on once. */
  readonly relayed: number;
  /** Departed hosts whose live records were tombstoned. */
  readonly hostsExpired: number;
  /** Records `cluster.broadcast` refused (it threw); logged. */
  readonly broadcastFailures: number;
}

/**
 * Carries the catalog over the cluster, as the Go Sidecar's state broadcasts and
 * `NotifyLeave` did: every record of every scheduler batch and every relayed remote record
 * becomes one gossip message (one compact Service JSON); a member that dies or leaves has its
 * live records tombstoned and the tombstones sent {@link lifespans.TOMBSTONE_COUNT} times.
 * The inbound half (messages and push/pull states into the state) is the {@link ServicesDelegate}.
 */
export class Replicator {
  private readonly state: ServicesState;
  private readonly scheduler: BroadcastScheduler;
  private readonly cluster: GossipCluster;
  private readonly log: Logger;
  private readonly disputes: Event<OwnRecordDispute> | undefined;
  private readonly subscriptions = new DisposableStore();
  private started = false;
  private readonly counters = { broadcasts: 0, relayed: 0, hostsExpired: 0, broadcastFailures: 0 };

  constructor(options: ReplicatorOptions) {
    this.state = options.state;
    this.scheduler = options.scheduler;
    this.cluster = options.cluster;
    this.log = options.logger;
    this.disputes = options.disputes;
  }

  get stats(): ReplicatorStats {
    return { ...this.counters };
  }

  /** Subscribes to the scheduler, the state and the cluster. Idempotent; not after close(). */
  start(): void {
    if (this.subscriptions.isDisposed) throw new BugError('Replicator.start() called after close()');
    if (this.started) return;
    this.started = true;
    const subs = this.subscriptions;
    subs.add(
      this.scheduler.onDidSend((batch) => {
        for (const record of batch) if (this.transmit(record.service, record.json, record.key)) this.counters.broadcasts++;
      }),
    );
    subs.add(
      this.state.onDidAcceptRemote((svc) => {
        if (this.send(svc)) this.counters.relayed++;
      }),
    );
    // membership logs joins and departures with their addresses; here only what we did about them.
    subs.add(this.cluster.onDidJoin((m) => this.log.debug(describe(m), 'Cluster member joined')));
    subs.add(this.cluster.onDidUpdate((m) => this.log.debug(describe(m), 'Cluster member updated its metadata')));
    subs.add(this.cluster.onDidLeave((m) => this.memberLeft(m)));
    if (this.disputes !== undefined) {
      subs.add(
        this.disputes(({ ours, theirs }) => {
          // A peer that kept DRAINING against our ALIVE keeps it against any ALIVE we send:
          // only a new undrain (UNKNOWN first) replaces it, and that is the daemon's drain control.
          if (keepsDraining(theirs, ours)) return;
          this.log.info({ service: ours.name, id: ours.id }, 'A peer holds a stale copy of a local service; announcing ours again');
          if (this.send(ours)) this.counters.broadcasts++;
        }),
      );
    }
  }

  /** Unsubscribes from everything. Idempotent. */
  close(): void {
    this.subscriptions.dispose();
  }

  private memberLeft(member: Member): void {
    this.log.debug(describe(member), member.state === 'left' ? 'Cluster member left' : 'Cluster member is dead');
    if (member.name === this.state.hostname || member.name === this.cluster.localName) {
      // Only our own graceful leave reports us; our records are our discovery's business.
      this.log.debug({ member: member.name }, 'Not expiring our own records');
      return;
    }
    const tombstones = this.state.expireServer(member.name);
    if (tombstones.length === 0) {
      this.log.debug({ member: member.name }, 'No live records to expire for the departed member');
      return;
    }
    this.log.info({ member: member.name, services: tombstones.length }, `Tombstoned the ${tombstones.length} service(s) of departed member ${member.name}`);
    this.counters.hostsExpired++;
    this.scheduler.send(tombstones, lifespans.TOMBSTONE_COUNT);
  }

  /**
   * Hands one record to the gossip queue, with the state's cached encoding; the scheduler's
   * repeats of older records of its key end (they would take its place in the queue).
   */
  private send(svc: Service): boolean {
    this.scheduler.supersede(svc);
    return this.transmit(svc, this.state.json.serviceText(svc), broadcastKey(svc));
  }

  /** False (and a warning) if the cluster refused it. */
  private transmit(svc: Service, json: string, key: string): boolean {
    try {
      this.cluster.broadcast(Buffer.from(json, 'utf8'), key);
      return true;
    } catch (err) {
      this.counters.broadcastFailures++;
      this.log.warn({ err: errorMessage(err), hostname: svc.hostname, id: svc.id }, 'Could not gossip a record');
      return false;
    }
  }
}

function describe(m: Member): Record<string, unknown> {
  return { member: m.name, address: formatMemberAddress(m.addr, m.port), state: m.state, incarnation: m.incarnation };
}
