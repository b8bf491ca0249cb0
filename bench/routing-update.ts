// How long a catalog change takes to reach the load balancer's routing table, with 1,000
// services × 3 instances bound on 127.0.0.1:20000–20999 (goal: under 10 ms). Reports the
// median and worst of 30 updates, each changing one instance's status.
//   npm run bench:routing
import { silentLogger, systemClock, parseTimestamp } from '../src/core/index.js';
import { ServiceStatus, type Service } from '../src/catalog/index.js';
import { LoadBalancer, buildRoutingTable } from '../src/proxy/index.js';

const SERVICES = Number(process.env['SERVICES'] ?? 1000);
const INSTANCES = 3;
const BASE_PORT = Number(process.env['BASE_PORT'] ?? 20000);
const now = parseTimestamp(new Date().toISOString());

const records = new Map<string, Service>();
for (let s = 0; s < SERVICES; s++) {
  for (let i = 0; i < INSTANCES; i++) {
    const svc: Service = {
      id: `svc${s}-${i}`,
      name: `service-${s}`,
      image: 'bench:1',
      created: now,
      hostname: `host-${i}`,
      ports: [{ type: 'tcp', port: 40000 + i, servicePort: BASE_PORT + s, ip: `127.0.0.${i + 1}` }],
      updated: now,
      proxyMode: s % 2 === 0 ? 'tcp' : 'http',
      status: ServiceStatus.ALIVE,
    };
    records.set(`${svc.hostname}/${svc.id}`, svc);
  }
}

const lb = new LoadBalancer({ bindIp: '127.0.0.1', clock: systemClock, logger: silentLogger() });
let t0 = performance.now();
await lb.update(records.values());
const firstMs = performance.now() - t0;

const buildTimes: number[] = [];
const updateTimes: number[] = [];
for (let n = 0; n < 30; n++) {
  const key = `host-${n % INSTANCES}/svc${(n * 37) % SERVICES}-${n % INSTANCES}`;
  const svc = records.get(key);
  if (svc === undefined) throw new Error(key);
  records.set(key, { ...svc, status: svc.status === ServiceStatus.ALIVE ? ServiceStatus.UNHEALTHY : ServiceStatus.ALIVE });
  t0 = performance.now();
  buildRoutingTable(records.values());
  buildTimes.push(performance.now() - t0);
  t0 = performance.now();
  await lb.update(records.values());
  updateTimes.push(performance.now() - t0);
}
await lb.close();

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const med = (a: number[]): number => sorted(a)[Math.floor(a.length / 2)] ?? 0;
const max = (a: number[]): number => sorted(a)[a.length - 1] ?? 0;
const p90 = (a: number[]): number => sorted(a)[Math.floor(a.length * 0.9)] ?? 0;
/** The updates in order, to show whether the worst is a cold first one or a collection later. */
const series = (a: number[]): string => a.map((v) => v.toFixed(1)).join(' ');
process.stdout.write(
  [
    `routing update with ${SERVICES} services × ${INSTANCES} instances (${SERVICES} listeners on 127.0.0.1)`,
    `  first apply (binds ${SERVICES} listeners): ${firstMs.toFixed(1)} ms`,
    `  buildRoutingTable:            median ${med(buildTimes).toFixed(2)} ms, worst ${max(buildTimes).toFixed(2)} ms`,
    `  LoadBalancer.update (applied): median ${med(updateTimes).toFixed(2)} ms, p90 ${p90(updateTimes).toFixed(2)} ms, worst ${max(updateTimes).toFixed(2)} ms  (goal < 10 ms)`,
    `  each update in order (ms): ${series(updateTimes)}`,
    '',
  ].join('\n'),
);
