import type { MessagePort } from 'node:worker_threads';
import type { ForwarderOptions } from '../forwarder.js';
import type { DataPlaneStatus } from '../data-plane.js';
import type { TableSnapshot } from './table-snapshot.js';

/*
 * The messages between the load balancer's main thread and its proxy worker threads. All are
 * plain data (structured clone); the routing table is the one frozen snapshot every worker gets.
 */

/** Marks a thread as a proxy worker (its workerData.role). */
export const PROXY_WORKER_ROLE = 'sidecar-proxy-worker';

/** What a worker is started with (its `workerData`). */
export interface ProxyWorkerData {
  readonly role: typeof PROXY_WORKER_ROLE;
  /** The worker's slot, 0-based (named in its log lines). */
  readonly index: number;
  /** The main thread's log level: lines below it are not even sent. */
  readonly logLevel: string;
  readonly bindIp: string;
  readonly slowStartMs?: number;
  readonly drainTimeoutMs?: number;
  readonly forwarder: Omit<ForwarderOptions, 'budget' | 'onEjected' | 'accessLog'>;
  /** `--proxy-access-log` (the worker opens its own descriptor). */
  readonly accessLogPath?: string;
  /** Shared by all workers: open connections (Int32 per slot) and heartbeats (Float64 ms per slot), for the ConnectionBalancer. */
  readonly load: SharedArrayBuffer;
  readonly heartbeats: SharedArrayBuffer;
  /** Channels to the workers already running (transferred with the worker's start). */
  readonly peers: readonly { readonly index: number; readonly port: MessagePort }[];
  /** The shared fd budget: every worker's ConnectionBudget counts in the same cells. */
  readonly budget?: { readonly maxConnections: number; readonly fdLimit?: number; readonly reserveFds?: number; readonly counters: SharedArrayBuffer };
}

/** Main thread → worker. */
export type ToWorker =
  /** Serve this table from now on; answer `applied` with the generation. */
  | { readonly type: 'routes'; readonly generation: number; readonly table: TableSnapshot }
  /** A channel to worker `index` (started after this one): connections are handed over on it. */
  | { readonly type: 'peer'; readonly index: number; readonly port: MessagePort }
  /** Another worker ejected an endpoint: skip it until `untilMs`. */
  | { readonly type: 'eject'; readonly port: number; readonly key: string; readonly untilMs: number }
  /** Answer `stats` with the same id. */
  | { readonly type: 'stats'; readonly id: number }
  /** Answer `runtime` with the same id; `gc`: collect garbage first (only where the process runs with --expose-gc). */
  | { readonly type: 'runtime'; readonly id: number; readonly gc: boolean }
  /** Close every frontend and connection, answer `closed`. */
  | { readonly type: 'close' }
  /** Fault injection for the tests of worker replacement: throw from the message handler, exit the thread, or block its event loop. */
  | { readonly type: 'fault'; readonly kind: WorkerFault };

/** `throw` (a bug), `exit` (the thread ends), `stall` (a busy loop for 60 s: the event loop is blocked). */
export type WorkerFault = 'throw' | 'exit' | 'stall';

/** How long a `stall` fault blocks the worker's event loop: longer than the watchdog waits. 60 s. */
export const STALL_FAULT_MS = 60_000;

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'applied'; readonly generation: number }
  | { readonly type: 'ejected'; readonly port: number; readonly key: string; readonly untilMs: number }
  | { readonly type: 'stats'; readonly id: number; readonly status: DataPlaneStatus }
  | { readonly type: 'runtime'; readonly id: number; readonly runtime: WorkerRuntime }
  /** Client connections open now and accepted in all, sent every second, so a dead worker's open connections can be counted as lost. */
  | { readonly type: 'load'; readonly connectionsActive: number; readonly connectionsTotal: number }
  /** One pino JSON line, written by the main thread's logger. */
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'closed' };

/** A worker thread's own heap and the handles its event loop holds (sockets, servers, timers), by kind. */
export interface WorkerRuntime {
  readonly index: number;
  readonly heapUsedBytes: number;
  /** process.getActiveResourcesInfo() of the thread, counted by kind (`TCPSocketWrap`, `TCPServerWrap`, `Timeout`, …). */
  readonly resources: Readonly<Record<string, number>>;
}

/** How often a worker reports its load. 1 s. */
export const LOAD_REPORT_INTERVAL_MS = 1_000;
