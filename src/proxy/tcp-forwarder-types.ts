/** The TCP forwarder's endpoint, picker, options and counters (tcp-forwarder.ts uses them). */

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
