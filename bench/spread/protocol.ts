// What the threads of bench/worker-spread.ts say to each other: the main thread (the control
// plane, which in mode B also accepts), the proxy workers, and the driver thread (the clients
// and the echo backend). Per-worker counters live in one SharedArrayBuffer so that reading
// them costs the main thread no message per connection.
import type { Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';

/**
 * How connections reach the workers: A `reusePort` (the kernel's hash), B `handoff` (the main
 * thread accepts and hands each to the least-loaded worker), C `balanced` (reusePort, then a
 * worker holding clearly more than another hands the connection over: the product's
 * src/proxy/workers/connection-balancer.ts, itself).
 */
export type Mode = 'reusePort' | 'handoff' | 'balanced';
export const MODES: readonly Mode[] = ['reusePort', 'handoff', 'balanced'];
export const MODE_TITLES: Readonly<Record<Mode, string>> = { reusePort: 'A. reusePort', handoff: 'B. handoff', balanced: 'C. reusePort + balancer (shipped)' };

/** Every request and every reply is this many bytes (the backend echoes), so a byte count is a request count. */
export const REQUEST_BYTES = 32;

/** Counter slots per worker in the shared Int32Array: worker i's slot s is at i * SLOTS + s. */
export const SLOTS = 3;
/** Connections the worker holds now (in mode B the main thread counts one up when it hands a socket over). */
export const OPEN = 0;
/** Connections the worker has started to serve. */
export const ACCEPTED = 1;
/** Requests forwarded on connections that have closed. */
export const REQUESTS = 2;

/** The proxy worker's workerData. */
export interface ProxyWorkerData {
  readonly index: number;
  readonly mode: Mode;
  /** Mode A: the port every worker listens on with reusePort. Unused in mode B. */
  readonly port: number;
  readonly backendPort: number;
  readonly counters: SharedArrayBuffer;
  /** Mode C: the balancer's shared cells and this worker's channels to the others. */
  readonly balance?: { readonly load: SharedArrayBuffer; readonly heartbeats: SharedArrayBuffer; readonly peers: readonly { readonly index: number; readonly port: MessagePort }[] };
}

export type ToProxyWorker =
  | { readonly type: 'conn'; readonly socket: Socket }
  | { readonly type: 'stall'; readonly ms: number };

export type FromProxyWorker = { readonly type: 'ready' } | { readonly type: 'stalling' };

/** A batch of client connections, each sending `requests` requests one after another, then closing. */
export interface ClientBatch {
  readonly type: 'clients';
  readonly id: number;
  readonly port: number;
  readonly connections: number;
  /** Connections open at once; new ones start as others close. */
  readonly concurrency: number;
  readonly requests: number;
  /** When above 0, connection i starts at i × spacingMs (and concurrency is ignored). */
  readonly spacingMs: number;
}

export interface BatchResult {
  readonly type: 'done';
  readonly id: number;
  /** Per connection: from the start of connect() to the first complete reply, in ms. */
  readonly firstReplyMs: number[];
  readonly elapsedMs: number;
  readonly errors: number;
  readonly firstError: string | null;
}

export type FromDriver = { readonly type: 'ready'; readonly backendPort: number } | BatchResult;
