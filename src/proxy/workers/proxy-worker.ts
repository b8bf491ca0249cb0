import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { pino, type LevelWithSilent } from 'pino';
import { BugError, systemClock, type Logger } from '../../core/index.js';
import { ConnectionBudget } from '../connection-budget.js';
import { ThreadDataPlane } from '../thread-data-plane.js';
import { tableOf } from './table-snapshot.js';
import { ConnectionBalancer, HEARTBEAT_INTERVAL_MS } from './connection-balancer.js';
import { LOAD_REPORT_INTERVAL_MS, PROXY_WORKER_ROLE, STALL_FAULT_MS, type FromWorker, type ProxyWorkerData, type ToWorker, type WorkerRuntime } from './worker-protocol.js';

/** True in a thread started as a proxy worker (the entry script checks it first). */
export function isProxyWorkerThread(): boolean {
  return !isMainThread && (workerData as Partial<ProxyWorkerData> | null)?.role === PROXY_WORKER_ROLE;
}

/**
 * The body of a proxy worker thread: a ThreadDataPlane that serves every ServicePort on its
 * own SO_REUSEPORT sockets, fed routing tables by the main thread. It logs through the main
 * thread (one pino JSON line per message) and reports its load every second.
 */
export function runProxyWorker(): void {
  const port = parentPort;
  if (port === null || !isProxyWorkerThread()) throw new BugError('runProxyWorker() called outside a proxy worker thread');
  const data = workerData as ProxyWorkerData;
  const send = (msg: FromWorker): void => port.postMessage(msg);
  const logger = workerLogger(port, data.logLevel);
  const clock = systemClock;
  const budget = data.budget === undefined ? undefined : new ConnectionBudget({ ...data.budget, logger, clock });
  const balancer = new ConnectionBalancer(data.index, new Int32Array(data.load), new Float64Array(data.heartbeats), clock, (servicePort, socket) =>
    plane.adopt(servicePort, socket),
  );
  const plane: ThreadDataPlane = new ThreadDataPlane({
    balancer,
    ...data.forwarder,
    bindIp: data.bindIp,
    reusePort: true,
    ...(data.slowStartMs === undefined ? {} : { slowStartMs: data.slowStartMs }),
    ...(data.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: data.drainTimeoutMs }),
    ...(data.accessLogPath === undefined ? {} : { accessLogPath: data.accessLogPath }),
    ...(budget === undefined ? {} : { budget }),
    onEjected: (servicePort, key, untilMs) => send({ type: 'ejected', port: servicePort, key, untilMs }),
    logger,
    clock,
  });
  balancer.start();
  for (const peer of data.peers) balancer.addPeer(peer.index, peer.port);
  const heartbeat = clock.setInterval(() => balancer.beat(), HEARTBEAT_INTERVAL_MS);
  // The balancer's counts: no stats are built for it.
  const loadTimer = clock.setInterval(() => send({ type: 'load', ...balancer.report() }), LOAD_REPORT_INTERVAL_MS);
  // Tables are applied in order; a stats request is answered between them.
  let applying: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'routes':
        applying = applying.then(() => plane.apply(tableOf(msg.table))).then(() => send({ type: 'applied', generation: msg.generation }));
        return;
      case 'peer':
        balancer.addPeer(msg.index, msg.port);
        return;
      case 'eject':
        plane.adoptEjection(msg.port, msg.key, msg.untilMs);
        return;
      case 'stats':
        send({ type: 'stats', id: msg.id, status: plane.statusNow() });
        return;
      case 'runtime':
        send({ type: 'runtime', id: msg.id, runtime: runtimeOf(data.index, msg.gc) });
        return;
      case 'close':
        clock.clearInterval(loadTimer);
        clock.clearInterval(heartbeat);
        balancer.close();
        void applying.then(() => plane.close()).then(() => send({ type: 'closed' }));
        return;
      case 'fault':
        if (msg.kind === 'exit') process.exit(1);
        if (msg.kind === 'stall') {
          const until = Date.now() + STALL_FAULT_MS;
          while (Date.now() < until) {
            // blocked on purpose: the watchdog must notice and replace this thread
          }
          return;
        }
        throw new BugError('fault injected into a proxy worker');
    }
  });
  send({ type: 'ready' });
}

/** This thread's heap and event-loop handles; after a full collection when asked and possible. */
function runtimeOf(index: number, gc: boolean): WorkerRuntime {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (gc && typeof collect === 'function') collect();
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  return { index, heapUsedBytes: process.memoryUsage().heapUsed, resources };
}

/** A pino logger whose lines go to the main thread, which writes them with its own logger. */
function workerLogger(port: MessagePort, level: string): Logger {
  return pino({ level: level as LevelWithSilent, base: null }, { write: (line: string) => port.postMessage({ type: 'log', line } satisfies FromWorker) });
}
