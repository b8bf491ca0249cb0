import type { Socket } from 'node:net';
import { errorMessage, localShortageCode, type Clock, type Logger } from '../../core/index.js';
import { FORWARDER_DEFAULTS, type EndpointPicker, type EndpointStats, type Forwarder, type ForwarderOptions, type ForwarderRoute, type ForwarderStats } from '../forwarder.js';
import { ClientSession } from './client-session.js';
import type { SessionOwner } from './session-owner.js';
import { MutableHttpCounters, type HttpCounters } from './http-stats.js';
import { EndpointEjections } from '../endpoint-ejections.js';
import { UpstreamPool, type EndpointEntry } from './upstream-pool.js';
import { ActiveSet } from '../active-set.js';
import { TimeoutSweep } from '../timeout-sweep.js';
import type { AccessLogWriter } from '../access-log.js';

/** HTTP counters of one endpoint, with its pool and ejection state. */
export interface HttpEndpointStats extends HttpCounters {
  readonly key: string;
  /** Idle pooled connections now. */
  readonly idleConnections: number;
  /** Passive outlier detection: times ejected, and until when (ms since epoch, 0 when in rotation). */
  readonly ejections: number;
  readonly ejectedUntilMs: number;
}

export interface HttpForwarderStats extends HttpCounters {
  /** Upstream connections open now (idle and busy). */
  readonly upstreamConnections: number;
  readonly idleUpstreamConnections: number;
  /** Ejections by passive outlier detection, all endpoints. */
  readonly ejections: number;
  readonly endpoints: readonly HttpEndpointStats[];
}

/** The HTTP forwarder's counters: the TCP forwarder's shape (connections, bytes, endpoints) plus `http`. */
export type HttpForwarderCounters = ForwarderStats & { readonly http: HttpForwarderStats };

/**
 * HTTP/1.1 forwarding for one frontend on raw sockets: a request-head parser per client
 * connection, a round-robin pick per request, keep-alive upstream pools per endpoint, and
 * upgrades spliced as TCP. Same lifecycle as TcpForwarder (FrontendSet owns the listening socket).
 */
export class HttpForwarder implements Forwarder<HttpForwarderCounters>, SessionOwner {
  picker: EndpointPicker;
  serviceName: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  readonly ejections: EndpointEjections;
  readonly counters = new MutableHttpCounters();
  readonly retries: number;
  readonly clientTimeoutMs: number;
  readonly serverTimeoutMs: number;
  readonly accessLog: AccessLogWriter | undefined;
  private readonly maxConnections: number;
  private readonly sessions = new ActiveSet<ClientSession>();
  private readonly clientTicks: number;
  private readonly sweeper: TimeoutSweep;
  private readonly totals = { connectionsTotal: 0, rejectedTotal: 0, noEndpointTotal: 0, connectErrors: 0, retriesTotal: 0, bytesIn: 0, bytesOut: 0 };

  /**
   * `port` and `serviceName` (default `unknown`) are named in the 503 body; the route's
   * picker, name and rejoined endpoints come in through setRoute.
   */
  constructor(
    port: number,
    route: ForwarderRoute,
    clock: Clock,
    private readonly logger: Logger,
    options: ForwarderOptions = {},
  ) {
    this.picker = route.picker;
    this.port = port;
    this.serviceName = route.serviceName ?? 'unknown';
    this.retries = options.retries ?? FORWARDER_DEFAULTS.retries;
    this.clientTimeoutMs = options.clientTimeoutMs ?? FORWARDER_DEFAULTS.clientTimeoutMs;
    this.serverTimeoutMs = options.serverTimeoutMs ?? FORWARDER_DEFAULTS.serverTimeoutMs;
    this.maxConnections = options.maxConnections ?? FORWARDER_DEFAULTS.maxConnections;
    const connectTimeoutMs = options.connectTimeoutMs ?? FORWARDER_DEFAULTS.connectTimeoutMs;
    const poolIdleTimeoutMs = options.poolIdleTimeoutMs ?? FORWARDER_DEFAULTS.poolIdleTimeoutMs;
    this.sweeper = new TimeoutSweep(clock, [connectTimeoutMs, this.clientTimeoutMs, this.serverTimeoutMs, poolIdleTimeoutMs], () => this.sweep());
    this.clientTicks = this.sweeper.sweepsIn(this.clientTimeoutMs);
    this.pool = new UpstreamPool({
      connectTimeoutMs,
      serverTimeoutMs: this.serverTimeoutMs,
      poolIdleTimeoutMs,
      maxIdlePerEndpoint: options.maxIdlePerEndpoint ?? FORWARDER_DEFAULTS.maxIdlePerEndpoint,
      sweepEveryMs: this.sweeper.everyMs,
      budget: options.budget,
    });
    this.ejections = new EndpointEjections(clock, logger, port, options.outlier, options.onEjected);
    this.accessLog = options.accessLog;
  }

  /** Another worker thread ejected `key` until `untilMs`: new requests here skip it too. */
  adoptEjection(key: string, untilMs: number): void {
    this.ejections.adopt(key, untilMs);
  }

  /**
   * Replaces the picker (and the service name); requests from now on use it, in-flight ones
   * finish. Endpoints that rejoined passed their health check again: their ejections end.
   */
  setRoute(route: ForwarderRoute): void {
    this.picker = route.picker;
    if (route.serviceName !== undefined) this.serviceName = route.serviceName;
    this.ejections.forgive(route.rejoined);
  }

  /** Client connections open now. */
  get activeCount(): number {
    return this.sessions.size;
  }

  /** Resolves once no client connection is open. */
  whenIdle(): Promise<void> {
    return this.sessions.whenEmpty();
  }

  /** Takes over an accepted client socket. */
  handle(client: Socket): void {
    this.totals.connectionsTotal++;
    client.on('error', (err) => this.logger.debug({ err: errorMessage(err) }, 'client socket error'));
    if (this.sessions.size >= this.maxConnections) {
      this.totals.rejectedTotal++;
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const session = new ClientSession(client, this);
    this.sessions.add(session);
    this.sweeper.start();
    client.on('close', () => {
      session.onClientClose();
      if (!this.sessions.delete(session)) return;
      this.totals.bytesIn += client.bytesRead;
      this.totals.bytesOut += client.bytesWritten;
    });
    if (client.isPaused()) client.resume();
  }

  /** Timeouts of client sessions and upstream connections; false once nothing is open. */
  private sweep(): boolean {
    this.pool.sweep();
    const tick = this.pool.tick;
    for (const s of this.sessions) s.expire(tick, this.clientTicks);
    return this.sessions.size > 0 || this.pool.busy;
  }

  /** Closes idle upstream connections (a drained frontend keeps none). */
  drained(): void {
    this.pool.closeIdle();
  }

  /** Destroys every client and upstream connection. */
  destroyAll(): void {
    for (const s of [...this.sessions]) s.abort();
    this.pool.close();
    this.sweeper.stop();
  }

  connectFailed(entry: EndpointEntry, err: Error | undefined): void {
    this.totals.connectErrors++;
    this.logger.debug({ endpoint: entry.key, err: err === undefined ? undefined : errorMessage(err) }, 'endpoint connect failed');
    // Out of fds or local ports is this host's shortage, not the endpoint's fault: no ejection.
    if (err !== undefined && localShortageCode(err) !== undefined) return;
    this.outlierFailure(entry);
  }

  outlierFailure(entry: EndpointEntry): void {
    this.ejections.failure(entry.key);
  }

  noEndpoint(): void {
    this.totals.noEndpointTotal++;
  }

  retried(): void {
    this.totals.retriesTotal++;
  }

  badRequest(reason: string): void {
    this.logger.debug({ reason }, 'bad request refused');
  }

  /** Counters in the TCP forwarder's shape (connections, bytes, endpoints) plus `http`. */
  stats(): HttpForwarderCounters {
    let bytesIn = this.totals.bytesIn;
    let bytesOut = this.totals.bytesOut;
    for (const s of this.sessions) {
      bytesIn += s.client.bytesRead;
      bytesOut += s.client.bytesWritten;
    }
    const live = this.pool.liveBytes();
    const endpoints: EndpointStats[] = [];
    const httpEndpoints: HttpEndpointStats[] = [];
    for (const e of this.pool.entries.values()) {
      const sum = live.get(e);
      const o = this.ejections.state(e.key);
      endpoints.push({
        key: e.key,
        ip: e.ip,
        port: e.port,
        connectionsTotal: e.connectionsTotal,
        connectionsActive: e.connectionsActive,
        connectErrors: e.connectErrors,
        bytesIn: e.bytesIn + (sum?.bytesIn ?? 0),
        bytesOut: e.bytesOut + (sum?.bytesOut ?? 0),
        ejections: o?.ejections ?? 0,
        ejectedUntilMs: o?.ejectedUntilMs ?? 0,
      });
      const c = e.http.snapshot();
      httpEndpoints.push({ ...c, bytesIn: e.bytesIn + (sum?.bytesIn ?? 0), bytesOut: e.bytesOut + (sum?.bytesOut ?? 0), key: e.key, idleConnections: e.idle.length, ejections: o?.ejections ?? 0, ejectedUntilMs: o?.ejectedUntilMs ?? 0 });
    }
    const http = this.counters.snapshot();
    return {
      connectionsTotal: this.totals.connectionsTotal,
      connectionsActive: this.sessions.size,
      rejectedTotal: this.totals.rejectedTotal,
      noEndpointTotal: this.totals.noEndpointTotal,
      connectErrors: this.totals.connectErrors,
      retriesTotal: this.totals.retriesTotal,
      bytesIn,
      bytesOut,
      ejections: this.ejections.count,
      endpoints,
      http: {
        ...http,
        bytesIn,
        bytesOut,
        upstreamConnections: this.pool.size,
        idleUpstreamConnections: this.pool.idleCount(),
        ejections: this.ejections.count,
        endpoints: httpEndpoints,
      },
    };
  }
}
