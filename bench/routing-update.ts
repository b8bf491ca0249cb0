// How long a catalog change takes to reach the load balancer's routing table, with 1,000
// services × 3 instances bound on 127.0.0.1:20000–20999 (goal: under 10 ms). Reports the
// median and worst of 30 updates, each changing one instance's status, with the main thread
// forwarding and with proxy worker threads (an update resolves once every worker serves it).
//   npm run bench:routing               # WORKERS='0 2'; WRITE=1 also rewrites its section of docs/benchmarks.md
import { silentLogger, systemClock, parseTimestamp } from '../src/core/index.js';
import { ServiceStatus, type Service } from '../src/catalog/index.js';
import { LoadBalancer, buildRoutingTable } from '../src/proxy/index.js';
import { snapshotOf } from '../src/proxy/workers/table-snapshot.js';
import { resolve } from 'node:path';
import { replaceDocsSection } from './lib/docs-section.js';

const SERVICES = Number(process.env['SERVICES'] ?? 1000);
const INSTANCES = 3;
const BASE_PORT = Number(process.env['BASE_PORT'] ?? 20000);
/** The `workers` settings measured one after the other (0: the main thread forwards). */
const WORKERS = (process.env['WORKERS'] ?? '0 2').split(/\s+/).filter(Boolean).map(Number);
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

interface Measured {
  workers: number;
  firstMs: number;
  buildTimes: number[];
  updateTimes: number[];
  /** Serializing the table into shared memory: done once per update for all workers (src/proxy/workers/table-snapshot.ts). */
  cloneTimes: number[];
}

/** The first apply, then 30 updates that each flip one instance's status, with `workers` proxy worker threads. */
async function measure(workers: number): Promise<Measured> {
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', clock: systemClock, logger: silentLogger(), workers });
  let t0 = performance.now();
  await lb.update(records.values());
  const firstMs = performance.now() - t0;
  const buildTimes: number[] = [];
  const updateTimes: number[] = [];
  const cloneTimes: number[] = [];
  for (let n = 0; n < 30; n++) {
    const key = `host-${n % INSTANCES}/svc${(n * 37) % SERVICES}-${n % INSTANCES}`;
    const svc = records.get(key);
    if (svc === undefined) throw new Error(key);
    records.set(key, { ...svc, status: svc.status === ServiceStatus.ALIVE ? ServiceStatus.UNHEALTHY : ServiceStatus.ALIVE });
    t0 = performance.now();
    const table = buildRoutingTable(records.values());
    buildTimes.push(performance.now() - t0);
    t0 = performance.now();
    snapshotOf(table);
    cloneTimes.push(performance.now() - t0);
    // Resolves once every thread that forwards (this one, or each worker) serves the new table.
    t0 = performance.now();
    await lb.update(records.values());
    updateTimes.push(performance.now() - t0);
  }
  await lb.close();
  return { workers, firstMs, buildTimes, updateTimes, cloneTimes };
}

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const med = (a: number[]): number => sorted(a)[Math.floor(a.length / 2)] ?? 0;
const max = (a: number[]): number => sorted(a)[a.length - 1] ?? 0;
const p90 = (a: number[]): number => sorted(a)[Math.floor(a.length * 0.9)] ?? 0;
/** The updates in order, to show whether the worst is a cold first one or a collection later. */
const series = (a: number[]): string => a.map((v) => v.toFixed(1)).join(' ');
const rows: string[] = [];
for (const workers of WORKERS) {
  const { firstMs, buildTimes, updateTimes, cloneTimes } = await measure(workers);
  rows.push(
    `| ${workers} | ${firstMs.toFixed(0)} | ${med(buildTimes).toFixed(2)} | ${workers > 0 ? `${med(cloneTimes).toFixed(2)} / ${max(cloneTimes).toFixed(2)}` : '–'} | ${med(updateTimes).toFixed(2)} | ${p90(updateTimes).toFixed(2)} | ${max(updateTimes).toFixed(2)} | ${max(updateTimes) < 10 ? 'met' : med(updateTimes) < 10 ? 'median met, worst not' : 'not met'} |`,
  );
  process.stdout.write(
    [
      `routing update with ${SERVICES} services × ${INSTANCES} instances (${SERVICES} listeners on 127.0.0.1), ${workers === 0 ? 'the main thread forwards (workers 0)' : `${workers} proxy worker threads`}`,
      `  first apply (binds ${SERVICES} listeners${workers > 0 ? ' in each worker' : ''}): ${firstMs.toFixed(1)} ms`,
      `  buildRoutingTable:            median ${med(buildTimes).toFixed(2)} ms, worst ${max(buildTimes).toFixed(2)} ms`,
      ...(workers > 0 ? [`  snapshotOf(table) (serialized once, shared by every worker): median ${med(cloneTimes).toFixed(2)} ms, worst ${max(cloneTimes).toFixed(2)} ms`] : []),
      `  LoadBalancer.update (applied${workers > 0 ? ' by every worker' : ''}): median ${med(updateTimes).toFixed(2)} ms, p90 ${p90(updateTimes).toFixed(2)} ms, worst ${max(updateTimes).toFixed(2)} ms  (goal < 10 ms)`,
      `  each update in order (ms): ${series(updateTimes)}`,
      '',
    ].join('\n'),
  );
}

if (process.env['WRITE'] === '1') {
  replaceDocsSection(
    resolve('docs/benchmarks.md'),
    '<!-- routing-update-bench:begin (generated by `WRITE=1 npm run bench:routing`, bench/routing-update.ts; do not edit by hand) -->',
    '<!-- routing-update-bench:end -->',
    [
      '## A routing update reaching every thread that forwards',
      '',
      `- date: ${new Date().toISOString()}; node ${process.version}; ${SERVICES} services × ${INSTANCES} instances, ${SERVICES} listeners on 127.0.0.1 (per worker); 30 updates, each flipping one instance's status; \`LoadBalancer.update()\` resolves once every worker has applied the table`,
      '',
      '| workers | first apply ms (binds every listener) | buildRoutingTable median ms | table serialized once (shared) median / worst ms | update median ms | p90 ms | worst ms | goal < 10 ms |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  process.stdout.write('wrote docs/benchmarks.md\n');
}
