/** The forwarders' endpoint, picker and counters (tcp-forwarder.ts and http/ use them). */

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
