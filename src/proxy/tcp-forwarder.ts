import { connect, type Socket } from 'node:net';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '../core/index.js';
import { ActiveSet } from './active-set.js';

/** What the forwarder needs of an endpoint (the routing table's Endpoint satisfies it). */
/** How long a client closed for lack of an endpoint may take to close its side. 1 s. */
const NO_ENDPOINT_LINGER_MS = 1000;

export interface ProxyEndpoint {
  /** Stable identity of the endpoint (used for per-endpoint counters and retry skipping). */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
}

/** Chooses the endpoint of each new connection (round robin satisfies it). */
export interface EndpointPicker {
  /** The next endpoint, passing over those `skip` returns true for; undefined when none is left. */
  next(skip?: (e: ProxyEndpoint) => boolean): ProxyEndpoint | undefined;
}

/** Timeouts and limits of TCP forwarding; the defaults are those the Go Sidecar's HAProxy ran with. */
export interface TcpForwarderOptions {
  /** Time allowed to open a connection to one endpoint. Default 5000 (HAProxy `timeout connect 5s`). */
  readonly connectTimeoutMs?: number;
  /**
   * A connection is closed after this long without traffic on one side. Default 60000
   * (HAProxy `timeout client 1m` and `timeout server 1m`).
   */
  readonly idleTimeoutMs?: number;
  /**
   * Concurrent connections per listener; past it new ones are closed at once and counted in
   * `rejectedTotal`. Default 4096 (HAProxy `maxconn 4096`).
   */
  readonly maxConnections?: number;
  /**
   * Further endpoints tried after a failed connect, each one not yet failed for this connection.
   * Default 3 (HAProxy `retries 3` with `option redispatch`).
   */
  readonly retries?: number;
}

export const TCP_FORWARDER_DEFAULTS = {
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 4_096,
  retries: 3,
} as const satisfies Required<TcpForwarderOptions>;

/**
 * Counters of one endpoint. Bytes are seen from the client: `bytesIn` went client → endpoint,
 * `bytesOut` came endpoint → client.
 */
export interface EndpointStats {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  /** Connections established to this endpoint. */
  readonly connectionsTotal: number;
  readonly connectionsActive: number;
  /** Connect attempts that failed (refused, unreachable, timed out). */
  readonly connectErrors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Counters of one listener (bytes seen from the client, as for {@link EndpointStats}). */
export interface ForwarderStats {
  /** Connections accepted, including rejected ones. */
  readonly connectionsTotal: number;
  /** Connections open now (connecting or established). */
  readonly connectionsActive: number;
  /** Connections closed at once because `maxConnections` were already open. */
  readonly rejectedTotal: number;
  /** Connections closed because no endpoint was left to try. */
  readonly noEndpointTotal: number;
  readonly connectErrors: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly endpoints: readonly EndpointStats[];
}

interface EndpointCounters {
  key: string;
  ip: string;
  port: number;
  connectionsTotal: number;
  connectionsActive: number;
  connectErrors: number;
  bytesIn: number;
  bytesOut: number;
}

interface Connection {
  readonly client: Socket;
  upstream: Socket | undefined;
  endpoint: EndpointCounters | undefined;
  established: boolean;
  done: boolean;
  connectTimer: TimerHandle | undefined;
  failed: Set<string> | undefined;
}

/** Idle endpoint counters are pruned once more than this many endpoints have been seen. */
const MAX_ENDPOINT_ENTRIES = 1_024;

/**
 * Forwards the accepted sockets of one listener to endpoints from a picker, moving bytes both
 * ways (half-close included). The picker can be swapped at any time; established connections
 * keep their endpoint. It opens no listening socket itself (see ListenerSet).
 */
export class TcpForwarder {
  private picker: EndpointPicker;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly retries: number;
  private readonly active = new ActiveSet<Connection>();
  private readonly endpoints = new Map<string, EndpointCounters>();
  private readonly totals = { connectionsTotal: 0, rejectedTotal: 0, noEndpointTotal: 0, connectErrors: 0, bytesIn: 0, bytesOut: 0 };

  constructor(
    picker: EndpointPicker,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: TcpForwarderOptions = {},
  ) {
    this.picker = picker;
    this.connectTimeoutMs = options.connectTimeoutMs ?? TCP_FORWARDER_DEFAULTS.connectTimeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs ?? TCP_FORWARDER_DEFAULTS.idleTimeoutMs;
    this.maxConnections = options.maxConnections ?? TCP_FORWARDER_DEFAULTS.maxConnections;
    this.retries = options.retries ?? TCP_FORWARDER_DEFAULTS.retries;
  }

  /** Replaces the picker; only connections accepted (or retried) from now on use it. */
  setPicker(picker: EndpointPicker): void {
    this.picker = picker;
  }

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
    const conn: Connection = { client, upstream: undefined, endpoint: undefined, established: false, done: false, connectTimer: undefined, failed: undefined };
    client.on('error', (err) => {
      this.logger.debug({ err: errorMessage(err) }, 'client socket error');
      this.abort(conn);
    });
    if (this.active.size >= this.maxConnections) {
      this.totals.rejectedTotal++;
      client.destroy();
      return;
    }
    this.active.add(conn);
    client.setNoDelay(true);
    client.on('close', (hadError) => {
      const upstream = conn.upstream;
      if (upstream !== undefined) {
        if (!conn.established || hadError) upstream.destroy();
        else upstream.end();
      }
      this.settle(conn);
    });
    this.connectNext(conn, this.retries);
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
      return { ...e, bytesIn: e.bytesIn + (sum?.bytesIn ?? 0), bytesOut: e.bytesOut + (sum?.bytesOut ?? 0) };
    });
    return {
      connectionsTotal: this.totals.connectionsTotal,
      connectionsActive: this.active.size,
      rejectedTotal: this.totals.rejectedTotal,
      noEndpointTotal: this.totals.noEndpointTotal,
      connectErrors: this.totals.connectErrors,
      bytesIn,
      bytesOut,
      endpoints,
    };
  }

  private connectNext(conn: Connection, retriesLeft: number): void {
    const failed = conn.failed;
    const endpoint = this.picker.next(failed === undefined ? undefined : (e) => failed.has(e.key));
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
    const upstream = connect({ host: endpoint.ip, port: endpoint.port, allowHalfOpen: true, noDelay: true });
    conn.upstream = upstream;
    conn.endpoint = counters;
    conn.connectTimer = this.clock.setTimeout(() => {
      upstream.destroy(new Error(`connect timeout after ${this.connectTimeoutMs} ms`));
    }, this.connectTimeoutMs);

    const onConnectError = (err: Error): void => {
      this.clearConnectTimer(conn);
      counters.connectErrors++;
      this.totals.connectErrors++;
      this.logger.debug({ endpoint: endpoint.key, err: errorMessage(err), retriesLeft }, 'endpoint connect failed');
      if (conn.client.destroyed) {
        this.settle(conn);
        return;
      }
      (conn.failed ??= new Set()).add(endpoint.key);
      if (retriesLeft > 0) {
        this.connectNext(conn, retriesLeft - 1);
      } else {
        conn.client.destroy();
      }
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      this.clearConnectTimer(conn);
      upstream.off('error', onConnectError);
      upstream.on('error', (err) => {
        this.logger.debug({ endpoint: endpoint.key, err: errorMessage(err) }, 'endpoint socket error');
        this.abort(conn);
      });
      if (conn.client.destroyed) {
        upstream.destroy();
        return;
      }
      conn.established = true;
      counters.connectionsTotal++;
      counters.connectionsActive++;
      upstream.on('close', (hadError) => {
        if (hadError) conn.client.destroy();
        else conn.client.end();
        this.settle(conn);
      });
      const onIdle = (): void => this.abort(conn);
      conn.client.setTimeout(this.idleTimeoutMs, onIdle);
      upstream.setTimeout(this.idleTimeoutMs, onIdle);
      conn.client.pipe(upstream);
      upstream.pipe(conn.client);
    });
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
    this.clearConnectTimer(conn);
    if (!this.active.delete(conn)) return;
    this.totals.bytesIn += conn.client.bytesRead;
    this.totals.bytesOut += conn.client.bytesWritten;
    if (conn.established && conn.endpoint !== undefined && conn.upstream !== undefined) {
      conn.endpoint.connectionsActive--;
      conn.endpoint.bytesIn += conn.upstream.bytesWritten;
      conn.endpoint.bytesOut += conn.upstream.bytesRead;
    }
  }

  private clearConnectTimer(conn: Connection): void {
    if (conn.connectTimer !== undefined) {
      this.clock.clearTimeout(conn.connectTimer);
      conn.connectTimer = undefined;
    }
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
