// The load balancer under test: the product's LoadBalancer, fed two services as the catalog
// would hand them over (tcp on 127.0.0.1:8091, http on :8092, each over backends 9001/9002).
// LB_WORKERS: proxy worker threads (0, the default: the main thread forwards, as before
// issue #12). LB_WORKER_SCRIPT: the bundled worker entry (bench/proxy/run.ts bundles
// src/proxy/workers/worker-entry.ts beside this file's bundle); unset, the source default.
import { pathToFileURL } from 'node:url';
import { createLogger, systemClock, parseTimestamp } from '../../src/core/index.js';
import { ServiceStatus, type Service } from '../../src/catalog/index.js';
import { LoadBalancer } from '../../src/proxy/index.js';

const now = parseTimestamp(new Date().toISOString());
function service(name: string, mode: string, servicePort: number, id: string, port: number): Service {
  return { id, name, image: 'bench', created: now, hostname: `host-${port}`, ports: [{ type: 'tcp', port, servicePort, ip: '127.0.0.1' }], updated: now, proxyMode: mode, status: ServiceStatus.ALIVE };
}

/** Ports served (defaults as bench/proxy/run.ts expects); set to run a second copy beside it. */
const tcpPort = Number(process.env['LB_TCP_PORT'] ?? 8091);
const httpPort = Number(process.env['LB_HTTP_PORT'] ?? 8092);
const workers = Number(process.env['LB_WORKERS'] ?? 0);
if (!Number.isInteger(workers) || workers < 0) throw new Error(`LB_WORKERS must be a whole number ≥ 0, not ${JSON.stringify(process.env['LB_WORKERS'])}`);
const script = process.env['LB_WORKER_SCRIPT'];
/** LB_ACCESS_LOG: a path (or `-`) for --proxy-access-log, to measure its cost; unset: off. */
const accessLog = process.env['LB_ACCESS_LOG'];
const lb = new LoadBalancer({
  bindIp: '127.0.0.1',
  clock: systemClock,
  logger: createLogger({ level: 'warn', format: 'text' }),
  workers,
  ...(script === undefined ? {} : { workerScript: { url: pathToFileURL(script) } }),
  ...(accessLog ? { accessLogPath: accessLog } : {}),
});
await lb.update([
  service('bench-tcp', 'tcp', tcpPort, 'tcp1', 9001),
  service('bench-tcp', 'tcp', tcpPort, 'tcp2', 9002),
  service('bench-http', 'http', httpPort, 'http1', 9001),
  service('bench-http', 'http', httpPort, 'http2', 9002),
]);
process.stdout.write(`sidecar-lb ready (${workers} worker thread(s))\n`);
const stop = (): void => {
  void lb.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
