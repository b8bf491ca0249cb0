import type { ServerResponse } from 'node:http';
import { errorMessage, type Clock, type Disposable, type Event, type Logger, type TimerHandle } from '../core/index.js';
import { ServiceStatus, statusString, type ChangeEvent, type ServicesState } from '../catalog/index.js';
import type { CheckDescription } from '../health/index.js';
import type { ProxyStatus } from '../proxy/index.js';
import { EventStreamHub } from './event-stream-hub.js';
import type { ApiMemberDetail } from './members-document.js';
import { membersView, servicesView } from './ops-views.js';
import { ProxyRates } from './proxy-view.js';
import { Timeline } from './timeline.js';

/** A member's new state, as gossip reports it. */
export interface MemberStateChange {
  readonly name: string;
  readonly state: string;
}

/** Least time between two sends of changed documents (250 ms): a page stays live, churn costs at most 4 documents a second. */
const MIN_PUBLISH_INTERVAL_MS = 250;

/** Default time between ticks while a page is open (1 s): a proxy snapshot, and a look at check results and members. */
export const DEFAULT_PROXY_SNAPSHOT_MS = 1000;

/** What the agent gives the UI beyond the API's own sources. */
export interface OpsFeedSources {
  /** Gossip's member state changes; leave out without a cluster. */
  readonly memberChanges?: Event<MemberStateChange> | undefined;
  /** The health checks of this host's services; leave out: no check details. */
  readonly checks?: (() => readonly CheckDescription[]) | undefined;
  /** Goes up when a check's last result or reason changes (HealthMonitor.resultsVersion). */
  readonly checksVersion?: (() => number) | undefined;
  /** The load balancer's status for the UI when it differs from `/api/proxy.json`'s (cheaper: the fast path's rules are not read back); default the API's. */
  readonly proxyStatus?: (() => Promise<ProxyStatus>) | undefined;
}

export interface OpsFeedOptions extends OpsFeedSources {
  readonly state: ServicesState;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly memberDetails: () => readonly ApiMemberDetail[];
  /** The load balancer's status; leave out when it is off. */
  readonly proxyStatus?: (() => Promise<ProxyStatus>) | undefined;
  /** Limits of the stream (the agent passes the watch stream's). */
  readonly maxClients: number;
  readonly maxBufferBytes: number;
  readonly stallTimeoutMs: number;
  /** Time between ticks (proxy snapshot; check results and members re-read when changed) while a client is connected. Default {@link DEFAULT_PROXY_SNAPSHOT_MS}. */
  readonly proxySnapshotMs?: number;
  readonly heartbeatMs?: number;
}

/**
 * What `GET /api/events` streams to the UI (server-sent events):
 * - `services`: every service and instance, with the check's last result for this host's;
 * - `members`: the gossip members in every state, with their service counts;
 * - `timeline`: the last changes (status changes, drains, members joining, failing, leaving);
 * - `proxy`: this host's ServicePorts with live rates and percentiles, once a second.
 * All are sent when a client connects, then on change (a burst of catalog changes is one
 * event, sent on the next turn of the event loop). Once a second while a client is
 * connected, `services` is also resent when a check's result or reason changed without a
 * status change, and `members` when gossip changed something no event reports (a member
 * reaped, an incarnation bumped). The timeline is recorded from start,
 * clients or not (a fixed ring); everything else is built only while a client is connected.
 */
export class OpsFeed {
  private readonly hub: EventStreamHub;
  private readonly timeline = new Timeline();
  private rates = new ProxyRates();
  private readonly subscriptions: Disposable[] = [];
  private flushHandle: NodeJS.Immediate | undefined;
  private flushTimer: TimerHandle | undefined;
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  private dirty = { services: false, members: false, timeline: false };
  private tickTimer: TimerHandle | undefined;
  private checksVersionSent = -1;
  private membersSent = '';
  private proxyInFlight = false;
  private lastProxy: unknown = null;
  private closed = false;

  constructor(private readonly options: OpsFeedOptions) {
    this.hub = new EventStreamHub({
      logger: options.logger,
      clock: options.clock,
      maxClients: options.maxClients,
      maxBufferBytes: options.maxBufferBytes,
      stallTimeoutMs: options.stallTimeoutMs,
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      initial: () => [
        { kind: 'members', data: this.members() },
        { kind: 'services', data: this.services() },
        { kind: 'timeline', data: this.timeline.entries() },
        ...(this.lastProxy === null ? [] : [{ kind: 'proxy', data: this.lastProxy }]),
      ],
      onActive: (active) => this.onActive(active),
    });
  }

  /** Subscribes to the catalog and gossip for the timeline. */
  start(): void {
    if (this.closed || this.subscriptions.length > 0) return;
    this.subscriptions.push(this.options.state.onDidChangeService(this.onServiceChange));
    if (this.options.memberChanges !== undefined) this.subscriptions.push(this.options.memberChanges(this.onMemberChange));
  }

  /** Streams to `res` (see EventStreamHub). */
  add(res: ServerResponse): void {
    this.hub.add(res);
  }

  get clients(): EventStreamHub {
    return this.hub;
  }

  /** Ends the streams and stops listening. Idempotent. */
  close(): void {
    this.closed = true;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.cancelFlush();
    this.hub.close();
  }

  private readonly onServiceChange = (change: ChangeEvent): void => {
    const svc = change.service;
    if (change.previousStatus !== svc.status) {
      this.timeline.add({
        timeMs: this.options.clock.nowMs(),
        kind: svc.status === ServiceStatus.DRAINING ? 'drain' : 'status',
        host: svc.hostname,
        subject: svc.name,
        id: svc.id,
        from: statusString(change.previousStatus).toUpperCase(),
        to: statusString(svc.status).toUpperCase(),
      });
      this.dirty.timeline = true;
    }
    this.dirty.services = true;
    // Service counts per member change with the services.
    this.dirty.members = true;
    this.schedule();
  };

  private readonly onMemberChange = (change: MemberStateChange): void => {
    this.timeline.add({ timeMs: this.options.clock.nowMs(), kind: 'member', host: change.name, subject: change.name, from: '', to: change.state });
    this.dirty.timeline = true;
    this.dirty.members = true;
    this.schedule();
  };

  /**
   * Sends what changed on the next turn of the event loop, or once MIN_PUBLISH_INTERVAL_MS
   * has passed since the last send: under churn a page gets at most four documents a second.
   */
  private schedule(): void {
    if (this.flushHandle !== undefined || this.flushTimer !== undefined || this.hub.size === 0) return;
    const waitMs = this.lastFlushMs + MIN_PUBLISH_INTERVAL_MS - this.options.clock.nowMs();
    if (waitMs > 0) {
      this.flushTimer = this.options.clock.setTimeout(() => {
        this.flushTimer = undefined;
        this.flush();
      }, waitMs);
      return;
    }
    this.flushHandle = setImmediate(() => {
      this.flushHandle = undefined;
      this.flush();
    });
  }

  private flush(): void {
    this.lastFlushMs = this.options.clock.nowMs();
    const { dirty } = this;
    this.dirty = { services: false, members: false, timeline: false };
    if (dirty.members) this.hub.publish('members', this.members());
    if (dirty.services) this.hub.publish('services', this.services());
    if (dirty.timeline) this.hub.publish('timeline', this.timeline.entries());
  }

  private cancelFlush(): void {
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
    if (this.flushTimer !== undefined) this.options.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** The members document, noted as the last one sent. */
  private members(): unknown {
    const doc = this.membersDoc();
    this.membersSent = JSON.stringify(doc);
    return doc;
  }

  private membersDoc(): unknown {
    return { local: this.options.state.hostname, members: membersView(this.options.memberDetails(), this.options.state) };
  }

  private services(): unknown {
    this.checksVersionSent = this.options.checksVersion?.() ?? -1;
    return { local: this.options.state.hostname, services: servicesView(this.options.state, this.options.checks?.() ?? []) };
  }

  private onActive(active: boolean): void {
    if (!active) {
      if (this.tickTimer !== undefined) this.options.clock.clearInterval(this.tickTimer);
      this.tickTimer = undefined;
      this.cancelFlush();
      this.dirty = { services: false, members: false, timeline: false };
      // The next page starts a fresh window rather than one spanning the time nobody watched.
      this.rates = new ProxyRates();
      this.lastProxy = null;
      return;
    }
    if (this.tickTimer !== undefined) return;
    this.tickTimer = this.options.clock.setInterval(this.tick, this.options.proxySnapshotMs ?? DEFAULT_PROXY_SNAPSHOT_MS);
    this.snapshotProxy();
  }

  private readonly tick = (): void => {
    this.snapshotProxy();
    const version = this.options.checksVersion?.();
    if (version !== undefined && version !== this.checksVersionSent) {
      this.dirty.services = true;
      this.schedule();
    }
    if (JSON.stringify(this.membersDoc()) !== this.membersSent) {
      this.dirty.members = true;
      this.schedule();
    }
  };

  /** One snapshot of the load balancer (gathered from its worker threads), never two at once. */
  private readonly snapshotProxy = (): void => {
    const status = this.options.proxyStatus;
    if (status === undefined || this.proxyInFlight || this.closed) return;
    this.proxyInFlight = true;
    status().then(
      (doc) => {
        this.proxyInFlight = false;
        if (this.closed) return;
        this.lastProxy = this.rates.add(doc, this.options.clock.nowMs());
        this.hub.publish('proxy', this.lastProxy);
      },
      (err: unknown) => {
        this.proxyInFlight = false;
        this.options.logger.debug({ err: errorMessage(err) }, 'proxy snapshot for the UI failed');
      },
    );
  };
}
