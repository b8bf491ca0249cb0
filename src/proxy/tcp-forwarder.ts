import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorMessage, localShortageCode, type Clock, type Logger } from '../core/index.js';
import { ActiveSet } from './active-set.js';
import { endSocket } from './end-socket.js';
import { ReadBuffers } from './read-buffers.js';
import type { AccessLogWriter } from './access-log.js';
import { accessLogLine, addressText } from './access-log-line.js';
import { TimeoutSweep } from './timeout-sweep.js';
import { EndpointEjections } from './endpoint-ejections.js';
import { FORWARDER_DEFAULTS, type EndpointCounters, type EndpointPicker, type Forwarder, type ForwarderOptions, type ForwarderRoute, type ForwarderStats, type ProxyEndpoint } from './forwarder.js';

/** How long a client closed for lack of an endpoint may take to close its side. 1 s. */
const NO_ENDPOINT_LINGER_MS = 1000;

/** One client connection and, once chosen, its upstream. */
interface Connection {
  readonly client: Socket;
  upstream: Socket | undefined;
  endpoint: EndpointCounters | undefined;
  established: boolean;
  done: boolean;
  failed: Set<string> | undefined;
  retriesLeft: number;
  /** Sweep tick of the last bytes read from the client, or of the current connect attempt's start. */
  seen: number;
  /** Sweep tick of the last bytes read from the endpoint (or of the connect). */
  upstreamSeen: number;
  /** The upstream is paused until the client drains (and the other way round). */
  upstreamPaused: boolean;
  clientPaused: boolean;
  /** Where upstream bytes are read; replaced when a write the kernel could not take whole holds it. */
  readBuffer: Buffer | undefined;
  /** Access log on: when the connection was accepted (performance.now()). */
  startedAt: number;
}

/**
 * Each connection's buffer for upstream bytes: 16 KiB, HAProxy's `tune.bufsize` (big enough
 * for bulk transfers, small enough for thousands of connections); 256 spares kept.
 */
const READ_BUFFER_BYTES = 16 * 1024;
const SPARE_READ_BUFFERS = 256;


/** Idle endpoint counters are pruned once more than this many endpoints have been seen. */
const MAX_ENDPOINT_ENTRIES = 1_024;

/**
 * Forwards the accepted sockets of one frontend to endpoints from a picker, moving bytes both
 * ways (half-close included). The picker can be swapped at any time; established connections
 * keep their endpoint. It opens no listening socket itself (see FrontendSet).
 *
 * Hot path (measured with bench/proxy): no timer, closure or Error per connection beyond one
 * read callback; connect and idle timeouts come from one sweep; upstream bytes are read into
 * one shared buffer and written to the client straight away.
 */
export class TcpForwarder implements Forwarder {
  private picker: EndpointPicker;
  private readonly connectTimeoutMs: number;
  private readonly clientTimeoutMs: number;
  private readonly serverIdleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly retries: number;
  private readonly active = new ActiveSet<Connection>();
  private readonly endpoints = new Map<string, EndpointCounters>();
  private readonly totals = { connectionsTotal: 0, rejectedTotal: 0, noEndpointTotal: 0, connectErrors: 0, retriesTotal: 0, bytesIn: 0, bytesOut: 0 };
  private readonly ejections: EndpointEjections;
  /** Pick filters (made once, not per connection): ejected endpoints are passed over while others are left. */
  private readonly skipEjected = (e: ProxyEndpoint): boolean => this.ejections.isEjected(e.key);
  private readonly sweeper: TimeoutSweep;
  private readonly clientTicks: number;
  private readonly serverIdleTicks: number;
  private readonly connectTicks: number;
  private tick = 0;
  private readonly readBuffers = new ReadBuffers(READ_BUFFER_BYTES, SPARE_READ_BUFFERS);
  private readonly accessLog: AccessLogWriter | undefined;
  private serviceName: string;

  /** `frontend`: the ServicePort and service this forwarder serves, named in access-log lines. */
  constructor(
    picker: EndpointPicker,
    clock: Clock,
    private readonly logger: Logger,
    options: ForwarderOptions = {},
    private readonly frontend: { readonly port: number; readonly serviceName?: string } = { port: 0 },
  ) {
    this.picker = picker;
    this.accessLog = options.accessLog;
    this.serviceName = frontend.serviceName ?? 'unknown';
    this.connectTimeoutMs = options.connectTimeoutMs ?? FORWARDER_DEFAULTS.connectTimeoutMs;
    this.clientTimeoutMs = options.clientTimeoutMs ?? FORWARDER_DEFAULTS.clientTimeoutMs;
    this.serverIdleTimeoutMs = options.serverIdleTimeoutMs ?? FORWARDER_DEFAULTS.serverIdleTimeoutMs;
    this.maxConnections = options.maxConnections ?? FORWARDER_DEFAULTS.maxConnections;
    this.retries = options.retries ?? FORWARDER_DEFAULTS.retries;
    this.sweeper = new TimeoutSweep(clock, [this.connectTimeoutMs, this.clientTimeoutMs, this.serverIdleTimeoutMs], () => this.sweep());
    this.clientTicks = this.sweeper.sweepsIn(this.clientTimeoutMs);
    this.serverIdleTicks = this.sweeper.sweepsIn(this.serverIdleTimeoutMs);
    this.connectTicks = this.sweeper.sweepsIn(this.connectTimeoutMs);
    this.ejections = new EndpointEjections(clock, logger, frontend.port, options.outlier, options.onEjected);
  }

  /**
   * Replaces the picker; only connections accepted (or retried) from now on use it. Endpoints
   * that rejoined passed their health check again: their ejections end.
   */
  setRoute(route: ForwarderRoute): void {
    this.picker = route.picker;
    if (route.serviceName !== undefined) this.serviceName = route.serviceName;
    this.ejections.forgive(route.rejoined);
  }

  /** Another worker thread ejected `key` until `untilMs`: new connections here skip it too. */
  adoptEjection(key: string, untilMs: number): void {
    this.ejections.adopt(key, untilMs);
  }

  /** Nothing is kept for reuse in TCP mode. */
  drained(): void {}

  /** Connections open now. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Resolves once no connection is open (at once if none is). */
  whenIdle(): Promise<void> {
    return this.active.whenEmpty();
  }

  /** Takes over an accepted socket (ideally accepted paused, so nothing is read before the endpoint is chosen). */
  handle(client: Socket): void {
    this.totals.connectionsTotal++;
    const conn: Connection = {
      client,
      upstream: undefined,
      endpoint: undefined,
      established: false,
      done: false,
      failed: undefined,
      retriesLeft: this.retries,
      seen: this.tick,
      upstreamSeen: this.tick,
      upstreamPaused: false,
      clientPaused: false,
      readBuffer: undefined,
      startedAt: 0,
    };
    if (this.accessLog !== undefined) {
      conn.startedAt = performance.now();
      void client.remoteAddress; // the peer's address is read (and kept) now: a closed socket no longer has one
    }
    client.on('error', (err: Error) => {
      this.logger.debug({ err: errorMessage(err) }, 'client socket error');
      this.abort(conn);
    });
    if (this.active.size >= this.maxConnections) {
      this.totals.rejectedTotal++;
      client.destroy();
      return;
    }
    this.active.add(conn);
    this.sweeper.start();
    client.setNoDelay(true);
    client.on('close', (hadError: boolean) => {
      const upstream = conn.upstream;
      if (upstream !== undefined) {
        if (!conn.established || hadError) upstream.destroy();
        else endSocket(upstream);
      }
      this.settle(conn);
    });
    this.connectNext(conn);
  }

  /** Destroys every open connection. */
  destroyAll(): void {
    for (const conn of [...this.active]) this.abort(conn);
  }

  /** A plain snapshot of the counters (active connections included in the byte counts). */
  stats(): ForwarderStats {
    let bytesIn = this.totals.bytesIn;
    let bytesOut = this.totals.bytesOut;
    const live = new Map<EndpointCounters, { bytesIn: number; bytesOut: number }>();
    for (const conn of this.active) {
      bytesIn += conn.client.bytesRead;
      bytesOut += conn.client.bytesWritten;
      if (conn.established && conn.endpoint !== undefined && conn.upstream !== undefined) {
        const sum = live.get(conn.endpoint) ?? { bytesIn: 0, bytesOut: 0 };
        sum.bytesIn += conn.upstream.bytesWritten;
        sum.bytesOut += conn.upstream.bytesRead;
        live.set(conn.endpoint, sum);
      }
    }
    const endpoints = [...this.endpoints.values()].map((e) => {
      const sum = live.get(e);
      const o = this.ejections.state(e.key);
      return { ...e, bytesIn: e.bytesIn + (sum?.bytesIn ?? 0), bytesOut: e.bytesOut + (sum?.bytesOut ?? 0), ejections: o?.ejections ?? 0, ejectedUntilMs: o?.ejectedUntilMs ?? 0 };
    });
    return {
      connectionsTotal: this.totals.connectionsTotal,
      connectionsActive: this.active.size,
      rejectedTotal: this.totals.rejectedTotal,
      noEndpointTotal: this.totals.noEndpointTotal,
      connectErrors: this.totals.connectErrors,
      retriesTotal: this.totals.retriesTotal,
      bytesIn,
      bytesOut,
      ejections: this.ejections.count,
      endpoints,
    };
  }

  /**
   * Connects to the next endpoint in rotation, passing over ejected ones and those that already
   * failed for this connection; when only ejected ones are left, one of them is tried rather
   * than the client refused (as ClientSession does for HTTP). A retry moves the shared rotation
   * on like any pick, so the live endpoints keep equal shares (a retry that left it in place
   * would hand every failed turn to the same successor: with A dead among A, B, C, B would get
   * two thirds); ejection bounds how often a dead one is tried first.
   */
  private connectNext(conn: Connection): void {
    const failed = conn.failed;
    const picker = this.picker;
    const endpoint = failed === undefined
      ? (picker.next(this.skipEjected) ?? picker.next())
      : (picker.next((e) => failed.has(e.key) || this.ejections.isEjected(e.key)) ?? picker.next((e) => failed.has(e.key)));
    if (endpoint === undefined) {
      this.totals.noEndpointTotal++;
      // Close cleanly (FIN) rather than with a reset: drop what the client sent, then end.
      // A reset before any answer makes some HTTP clients (undici's fetch) hang instead of
      // failing; a FIN reads as "empty reply" everywhere.
      const client = conn.client;
      client.on('data', () => undefined);
      client.resume();
      client.end();
      client.setTimeout(NO_ENDPOINT_LINGER_MS, () => client.destroy());
      return;
    }
    const counters = this.countersOf(endpoint);
    conn.readBuffer ??= this.readBuffers.take();
    const upstream = connect({
      host: endpoint.ip,
      port: endpoint.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: () => conn.readBuffer as Buffer, callback: (n: number, buf: Buffer) => this.fromUpstream(conn, n, buf) },
    });
    conn.upstream = upstream;
    conn.endpoint = counters;
    conn.seen = this.tick;
    upstream.on('error', (err: Error) => this.onUpstreamError(conn, upstream, err));
    upstream.once('connect', () => this.onUpstreamConnect(conn, upstream));
  }

  private onUpstreamError(conn: Connection, upstream: Socket, err: Error): void {
    if (conn.upstream !== upstream) return;
    const counters = conn.endpoint as EndpointCounters;
    if (conn.established) {
      this.logger.debug({ endpoint: counters.key, err: errorMessage(err) }, 'endpoint socket error');
      this.abort(conn);
      return;
    }
    counters.connectErrors++;
    this.totals.connectErrors++;
    this.logger.debug({ endpoint: counters.key, err: errorMessage(err), retriesLeft: conn.retriesLeft }, 'endpoint connect failed');
    // Out of fds or local ports is this host's shortage, not the endpoint's fault: no ejection.
    if (localShortageCode(err) === undefined) this.ejections.failure(counters.key);
    if (conn.client.destroyed) {
      this.settle(conn);
      return;
    }
    (conn.failed ??= new Set()).add(counters.key);
    if (conn.retriesLeft > 0) {
      conn.retriesLeft--;
      this.totals.retriesTotal++;
      this.connectNext(conn);
    } else {
      conn.client.destroy();
    }
  }

  private onUpstreamConnect(conn: Connection, upstream: Socket): void {
    const client = conn.client;
    this.ejections.success((conn.endpoint as EndpointCounters).key);
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    conn.established = true;
    conn.seen = this.tick;
    conn.upstreamSeen = this.tick;
    const counters = conn.endpoint as EndpointCounters;
    counters.connectionsTotal++;
    counters.connectionsActive++;
    upstream.on('close', (hadError: boolean) => {
      if (hadError) client.destroy();
      else endSocket(client);
      this.settle(conn);
    });
    upstream.on('end', () => endSocket(client));
    upstream.on('drain', () => {
      if (conn.clientPaused) {
        conn.clientPaused = false;
        client.resume();
      }
    });
    client.on('drain', () => {
      if (conn.upstreamPaused) {
        conn.upstreamPaused = false;
        upstream.resume();
      }
    });
    client.on('data', (chunk: Buffer) => {
      conn.seen = this.tick;
      if (!upstream.write(chunk)) {
        conn.clientPaused = true;
        client.pause();
      }
    });
    client.on('end', () => endSocket(upstream));
    client.resume();
  }

  /** Upstream bytes (in the connection's read buffer): straight to the client. False pauses the upstream. */
  private fromUpstream(conn: Connection, n: number, buf: Buffer): boolean {
    conn.upstreamSeen = this.tick;
    const client = conn.client;
    if (client.destroyed || client.writableEnded) return true;
    const ok = client.write(n === buf.length ? buf : buf.subarray(0, n));
    // Not all written at once: the pending write holds this buffer; read into a new one.
    if (client.writableLength > 0) conn.readBuffer = this.readBuffers.fresh();
    if (ok) return true;
    conn.upstreamPaused = true;
    return false;
  }

  /** Connect and idle timeouts of every open connection; false once none is open. */
  private sweep(): boolean {
    const tick = ++this.tick;
    for (const conn of this.active) {
      const upstream = conn.upstream;
      if (upstream === undefined || conn.done) continue;
      if (!conn.established) {
        if (tick - conn.seen > this.connectTicks && !upstream.destroyed) {
          upstream.destroy(new Error(`connect timeout after ${this.connectTimeoutMs} ms`));
        }
      } else if (tick - conn.seen > this.clientTicks && tick - conn.upstreamSeen > this.serverIdleTicks) {
        this.logger.debug({ endpoint: conn.endpoint?.key, clientTimeoutMs: this.clientTimeoutMs, serverIdleTimeoutMs: this.serverIdleTimeoutMs }, 'idle connection closed');
        this.abort(conn);
      }
    }
    return this.active.size > 0;
  }

  private abort(conn: Connection): void {
    conn.client.destroy();
    conn.upstream?.destroy();
    this.settle(conn);
  }

  /** Books a connection as finished once both of its sockets are gone. */
  private settle(conn: Connection): void {
    if (conn.done || !conn.client.destroyed || (conn.upstream !== undefined && !conn.upstream.destroyed)) return;
    conn.done = true;
    if (!this.active.delete(conn)) return;
    if (this.active.size === 0) this.sweeper.stop();
    // Both sockets are closed: nothing reads into or writes from the buffer any more.
    if (conn.readBuffer !== undefined) this.readBuffers.give(conn.readBuffer);
    conn.readBuffer = undefined;
    this.totals.bytesIn += conn.client.bytesRead;
    this.totals.bytesOut += conn.client.bytesWritten;
    if (conn.established && conn.endpoint !== undefined && conn.upstream !== undefined) {
      conn.endpoint.connectionsActive--;
      conn.endpoint.bytesIn += conn.upstream.bytesWritten;
      conn.endpoint.bytesOut += conn.upstream.bytesRead;
    }
    if (this.accessLog !== undefined) this.logConnection(conn);
  }

  private logConnection(conn: Connection): void {
    const client = conn.client;
    const backend = conn.established ? conn.endpoint : undefined;
    (this.accessLog as AccessLogWriter).write(
      accessLogLine(this.serviceName, this.frontend.port, 'tcp', addressText(client.remoteAddress, client.remotePort), backend, undefined, performance.now() - conn.startedAt, client.bytesRead, client.bytesWritten),
    );
  }

  private countersOf(endpoint: ProxyEndpoint): EndpointCounters {
    let counters = this.endpoints.get(endpoint.key);
    if (counters === undefined) {
      if (this.endpoints.size >= MAX_ENDPOINT_ENTRIES) {
        for (const [key, c] of this.endpoints) if (c.connectionsActive === 0) this.endpoints.delete(key);
      }
      counters = { key: endpoint.key, ip: endpoint.ip, port: endpoint.port, connectionsTotal: 0, connectionsActive: 0, connectErrors: 0, bytesIn: 0, bytesOut: 0 };
      this.endpoints.set(endpoint.key, counters);
    }
    return counters;
  }
}
