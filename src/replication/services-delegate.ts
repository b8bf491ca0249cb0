import { Emitter, ErrorCode, LogLimiter, SidecarError, errorMessage, hasCode, type Clock, type Event, type Logger } from '../core/index.js';
import { encodeNodeMeta, parseService, parseState, type Service, type ServicesState } from '../catalog/index.js';
import type { MembershipDelegate } from '../membership/index.js';

export interface ServicesDelegateOptions {
  readonly state: ServicesState;
  /** Advertised in our node metadata. Default: the state's cluster name. */
  readonly clusterName?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * At most one log line per this period for malformed messages and states (each line says
   * how many were held back). Default 60000 (1 min): a peer sending junk on every gossip round
   * must not flood the log, and one line a minute still shows that it goes on.
   */
  readonly malformedLogIntervalMs?: number;
}

/** Counters since start (always on; they feed metrics and the UI). */
export interface ServicesDelegateStats {
  /** Gossip messages decoded and handed to the merge (accepted or not by its rules). */
  readonly messagesMerged: number;
  /** Gossip messages dropped because they are not one well-formed Service JSON. */
  readonly messagesMalformed: number;
  /** Remote states from push/pull decoded and merged. */
  readonly statesMerged: number;
  /** Remote states dropped because they are not a well-formed state JSON. */
  readonly statesMalformed: number;
  /** Records inside merged states skipped because they have no ID or no Hostname. */
  readonly stateRecordsSkipped: number;
}

const DEFAULT_MALFORMED_LOG_INTERVAL_MS = 60_000;
/** How much of a malformed payload is quoted in the log. */
const LOG_SAMPLE_CHARS = 200;

const utf8 = new TextDecoder('utf-8');

/** A peer's copy of one of our own services that differs from ours and is not newer. */
export interface OwnRecordDispute {
  /** Our current record. */
  readonly ours: Service;
  /** What the peer sent. */
  readonly theirs: Service;
}

/**
 * The Go Sidecar's memberlist delegate (`services_delegate.go`) over a {@link ServicesState}:
 * node metadata `{"ClusterName":…,"State":"Running"}`, one Service JSON per user message, and
 * the full state JSON for push/pull. Every record received goes through
 * `ServicesState.addServiceEntry` (the merge rules; relays are the {@link Replicator}'s job).
 * Bad input is counted, logged (rate-limited) and dropped; nothing here throws.
 */
export class ServicesDelegate implements MembershipDelegate {
  private readonly state: ServicesState;
  private readonly clusterName: string;
  private readonly log: Logger;
  private readonly malformedLog: LogLimiter;
  private readonly metaLog: LogLimiter;
  private meta: Uint8Array | undefined;
  private readonly counters = { messagesMerged: 0, messagesMalformed: 0, statesMerged: 0, statesMalformed: 0, stateRecordsSkipped: 0 };
  private readonly clock: Clock;
  private readonly disputes = new Emitter<OwnRecordDispute>();
  /** Last refutation time per local service ID, so a burst of stale copies costs one. */
  private readonly lastDisputeMs = new Map<string, number>();
  /**
   * A peer holds an older, different record of one of our own services (e.g. a tombstone it
   * made while cut off from us); fires with our current record and the peer's, at most once a
   * second per service, so the replicator can re-announce ours (as memberlist refutes a
   * "dead" about itself). The merge rules alone would leave the peer's copy wrong until our
   * next refresh.
   */
  readonly onDidDisputeOwnRecord: Event<OwnRecordDispute> = this.disputes.event;

  constructor(options: ServicesDelegateOptions) {
    this.state = options.state;
    this.clusterName = options.clusterName ?? options.state.clusterName;
    this.log = options.logger;
    this.clock = options.clock;
    const intervalMs = options.malformedLogIntervalMs ?? DEFAULT_MALFORMED_LOG_INTERVAL_MS;
    this.malformedLog = new LogLimiter(options.clock, intervalMs);
    this.metaLog = new LogLimiter(options.clock, intervalMs);
  }

  get stats(): ServicesDelegateStats {
    return { ...this.counters };
  }

  /** `{"ClusterName":"<name>","State":"Running"}`; empty (and an error logged) if over `limitBytes`. */
  nodeMeta(limitBytes: number): Uint8Array {
    this.meta ??= new TextEncoder().encode(encodeNodeMeta(this.clusterName));
    if (this.meta.length <= limitBytes) return this.meta.slice();
    const held = this.metaLog.take();
    if (held !== undefined) {
      this.log.error(
        { bytes: this.meta.length, limitBytes, clusterName: this.clusterName, held },
        'Node metadata is over the size limit; advertising none (use a shorter cluster name)',
      );
    }
    return new Uint8Array(0);
  }

  /** One gossip message: one compact Service JSON. */
  notifyMessage(payload: Uint8Array): void {
    if (payload.length === 0) {
      this.log.debug('Empty gossip message ignored');
      return;
    }
    let svc: Service;
    try {
      svc = checkRecord(parseService(utf8.decode(payload)));
    } catch (err) {
      this.counters.messagesMalformed++;
      this.malformed(err, 'gossip message', payload);
      return;
    }
    this.counters.messagesMerged++;
    this.merge(svc);
  }

  /** Our full state JSON, the same document as `/api/state.json`. */
  localState(join: boolean): Uint8Array {
    const body = this.state.json.buffer();
    this.log.debug({ join, bytes: body.length }, 'Sending local state for push/pull');
    return body;
  }

  /** A peer's full state: every record goes through the merge; its ClusterName and Hostname are ignored. */
  mergeRemoteState(state: Uint8Array, join: boolean): void {
    let services: Service[];
    try {
      const decoded = parseState(utf8.decode(state));
      services = decoded.services;
      this.log.debug({ join, from: decoded.hostname, records: services.length }, 'Merging remote state');
    } catch (err) {
      this.counters.statesMalformed++;
      this.malformed(err, 'remote state', state);
      return;
    }
    this.counters.statesMerged++;
    for (const svc of services) {
      if (svc.id === '' || svc.hostname === '') {
        this.counters.stateRecordsSkipped++;
        continue;
      }
      this.merge(svc);
    }
  }

  private merge(svc: Service): void {
    this.checkOwnRecord(svc);
    try {
      this.state.addServiceEntry(svc);
    } catch (err) {
      // A listener of the state failed: a bug there, but gossip must go on (the delegate must not throw).
      this.log.error({ err: errorMessage(err), hostname: svc.hostname, id: svc.id }, 'Merging a received record failed');
    }
  }

  private checkOwnRecord(svc: Service): void {
    if (svc.hostname !== this.state.hostname) return;
    const local = this.state.getLocalServiceById(svc.id);
    if (local === undefined || local.status === svc.status || svc.updated > local.updated) return;
    const now = this.clock.nowMs();
    if (now - (this.lastDisputeMs.get(svc.id) ?? -Infinity) < 1000) return;
    this.lastDisputeMs.set(svc.id, now);
    if (this.lastDisputeMs.size > 10_000) this.lastDisputeMs.clear();
    this.disputes.fire({ ours: local, theirs: svc });
  }

  private malformed(err: unknown, what: string, payload: Uint8Array): void {
    const held = this.malformedLog.take();
    if (held === undefined) return;
    const sample = utf8.decode(payload.subarray(0, LOG_SAMPLE_CHARS * 4)).slice(0, LOG_SAMPLE_CHARS);
    this.log.warn(
      {
        err: errorMessage(err),
        code: hasCode(err, ErrorCode.CATALOG_BAD_JSON) ? err.code : undefined,
        bytes: payload.length,
        sample,
        held,
      },
      `Dropping a malformed ${what}`,
    );
  }
}

/** A record must name its host and ID: without them it cannot be stored, expired or relayed. */
function checkRecord(svc: Service): Service {
  if (svc.id === '' || svc.hostname === '') {
    throw new SidecarError(ErrorCode.CATALOG_BAD_JSON, 'Service: ID and Hostname must not be empty');
  }
  return svc;
}
