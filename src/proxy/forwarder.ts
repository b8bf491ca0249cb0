import type { Socket } from 'node:net';
import type { ConnectionBudget } from './connection-budget.js';
import type { OutlierOptions } from './outlier-detector.js';
import type { AccessLogWriter } from './access-log.js';

/*
 * What every forwarder shares: the Forwarder interface, its route and options, the endpoint
 * and picker it forwards to, and the shape of its counters.
 */

/** What the forwarder needs of an endpoint (the routing table's Endpoint satisfies it). */
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
  /** Passive outlier detection: times ejected, and until when (ms since epoch, 0 when in rotation). */
  readonly ejections: number;
  readonly ejectedUntilMs: number;
}

/** Counters of one frontend (bytes seen from the client, as for {@link EndpointStats}). */
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
  /** Connect attempts made on another endpoint after a failed one (HAProxy `retries` with `redispatch`). */
  readonly retriesTotal: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Ejections by passive outlier detection, all endpoints. */
  readonly ejections: number;
  readonly endpoints: readonly EndpointStats[];
}

export interface EndpointCounters {
  key: string;
  ip: string;
  port: number;
  connectionsTotal: number;
  connectionsActive: number;
  connectErrors: number;
  bytesIn: number;
  bytesOut: number;
}

/** Where a forwarder sends new connections or requests, and what it names in a 503. */
export interface ForwarderRoute {
  readonly picker: EndpointPicker;
  /** The service that owns the port, named in the HTTP 503 body when no endpoint is left. */
  readonly serviceName?: string;
  /**
   * Endpoint keys that just entered the route (became ALIVE again: their health check
   * passed); their outlier ejections end now.
   */
  readonly rejoined?: readonly string[];
}

/**
 * What a frontend (one bound ServicePort, see FrontendSet) needs of the forwarder behind it:
 * the TCP forwarder (bytes) and the HTTP forwarder (HTTP/1.1, upgrades spliced) both are one.
 * A forwarder opens no listening socket; it takes over accepted ones.
 */
export interface Forwarder<S extends ForwarderStats = ForwarderStats> {
  /** Takes over an accepted socket (ideally accepted paused, so nothing is read before the endpoint is chosen). */
  handle(client: Socket): void;
  /** Points new connections and requests at `route`; open ones keep their endpoint. */
  setRoute(route: ForwarderRoute): void;
  /** Client connections open now. */
  readonly activeCount: number;
  /** Resolves once no client connection is open (at once if none is). */
  whenIdle(): Promise<void>;
  /** Destroys every client and upstream connection. */
  destroyAll(): void;
  /** The frontend was removed and its last client left: let go of what is kept for reuse (idle upstreams). */
  drained(): void;
  /** Another worker thread's outlier detection ejected `key` until `untilMs` (ms since epoch): skip it here too. */
  adoptEjection(key: string, untilMs: number): void;
  /** A plain snapshot of the counters. */
  stats(): S;
}

/**
 * Timeouts and limits of forwarding, one set for both kinds (each takes the fields it uses);
 * the defaults are those the Go Sidecar's HAProxy ran with.
 */
export interface ForwarderOptions {
  /** Time allowed to open a connection to one endpoint. Default 5000 (HAProxy `timeout connect 5s`). */
  readonly connectTimeoutMs?: number;
  /**
   * How long a client may stay silent while the proxy waits on it: HTTP, for a request head,
   * a request body or its FIN (and one side of an upgraded connection); TCP, see
   * `serverIdleTimeoutMs`. Default 60000 (HAProxy `timeout client 1m`, the Go Sidecar's template).
   */
  readonly clientTimeoutMs?: number;
  /**
   * HTTP: how long an endpoint may stay silent while the proxy waits on it: for the response
   * head after the request went out, or between response body bytes. Past it the client gets
   * a 504 (or, once the head went out, its connection is closed), the upstream connection is
   * destroyed (never pooled again) and the time-out counts toward outlier ejection, so a hung
   * endpoint stops taking requests before its health check notices. Also the endpoint side
   * of an upgraded connection. Default 60000 (HAProxy `timeout server 1m`).
   */
  readonly serverTimeoutMs?: number;
  /**
   * TCP: a connection whose client has sent nothing for `clientTimeoutMs` and whose endpoint
   * has sent nothing for this long is closed (bytes either way keep it open, as before the two
   * were separate settings). Default 60000 (HAProxy `timeout server 1m`).
   */
  readonly serverIdleTimeoutMs?: number;
  /**
   * Concurrent client connections per frontend; past it new ones are closed at once and
   * counted in `rejectedTotal`. Default 4096 (HAProxy `maxconn 4096`).
   */
  readonly maxConnections?: number;
  /**
   * Further endpoints tried after a failed connect, each one not yet failed for this connection.
   * Default 3 (HAProxy `retries 3` with `option redispatch`).
   */
  readonly retries?: number;
  /**
   * HTTP: idle keep-alive connections kept per endpoint. Default 64: enough for a busy client
   * set to reuse connections, small enough that a quiet frontend holds few sockets.
   */
  readonly maxIdlePerEndpoint?: number;
  /**
   * HTTP: an idle pooled upstream connection is closed after this long. Default 4000: below
   * the common server keep-alive timeouts (Node 5 s, nginx 75 s), so the proxy closes first
   * and never sends a request on a connection the server is closing.
   */
  readonly poolIdleTimeoutMs?: number;
  /**
   * Passive outlier detection, both kinds (consecutive failures eject an endpoint for a while):
   * HTTP counts connect failures, 5xx answers and server time-outs; TCP counts connect failures.
   */
  readonly outlier?: OutlierOptions;
  /** The process-wide fd budget of the proxy (HTTP: idle pooled connections count in it). */
  readonly budget?: ConnectionBudget;
  /**
   * Told when outlier detection ejects an endpoint (ServicePort, endpoint key, ejected
   * until, ms since epoch), so the other worker threads can skip it too.
   */
  readonly onEjected?: (port: number, key: string, untilMs: number) => void;
  /** This thread's proxy access log (`--proxy-access-log`): one line per request (HTTP) or connection (TCP). None: off. */
  readonly accessLog?: AccessLogWriter;
}

export const FORWARDER_DEFAULTS = {
  connectTimeoutMs: 5_000,
  clientTimeoutMs: 60_000,
  serverTimeoutMs: 60_000,
  serverIdleTimeoutMs: 60_000,
  maxConnections: 4_096,
  retries: 3,
  maxIdlePerEndpoint: 64,
  poolIdleTimeoutMs: 4_000,
} as const satisfies Required<Omit<ForwarderOptions, 'outlier' | 'budget' | 'onEjected' | 'accessLog'>>;
