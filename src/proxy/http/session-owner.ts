import type { EndpointPicker } from '../forwarder.js';
import type { AccessLogWriter } from '../access-log.js';
import type { MutableHttpCounters } from './http-stats.js';
import type { EndpointEjections } from '../endpoint-ejections.js';
import type { EndpointEntry, UpstreamPool } from './upstream-pool.js';

/**
 * What a client session uses of its owner (the HTTP forwarder): the picker, the pool, the
 * counters and the timeouts, and where failures are booked. An interface, as UpstreamOwner
 * and RelayOwner are, so the session does not import the forwarder that creates it.
 */
export interface SessionOwner {
  readonly picker: EndpointPicker;
  readonly pool: UpstreamPool;
  readonly ejections: EndpointEjections;
  readonly counters: MutableHttpCounters;
  readonly serviceName: string;
  readonly port: number;
  readonly retries: number;
  readonly clientTimeoutMs: number;
  readonly serverTimeoutMs: number;
  /** The thread's access log, or undefined when it is off. */
  readonly accessLog: AccessLogWriter | undefined;
  connectFailed(entry: EndpointEntry, err: Error | undefined): void;
  outlierFailure(entry: EndpointEntry): void;
  noEndpoint(): void;
  /** A failed connect is tried again on another endpoint. */
  retried(): void;
  badRequest(reason: string): void;
}
