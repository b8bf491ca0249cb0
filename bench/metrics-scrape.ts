// The cost of one /metrics scrape on a busy catalog: a real agent with SERVICES static HTTP
// services, each on its own ServicePort (so SERVICES frontends in each of WORKERS proxy worker
// threads), every one of them served a request first so that the HTTP families (status classes,
// histogram, per-backend counters) have series. Then SCRAPES scrapes one after another:
// wall time per scrape (p50, p99, max), body size and series. The scrape runs on the agent's
// main thread (one LoadBalancer.describe() gathers the workers' counters); forwarding is not
// touched by it.
//   npm run bench:metrics          (SERVICES=1000 WORKERS=2 SCRAPES=30)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../test/helpers/eventually.js';
import { freePort } from '../test/helpers/free-port.js';
import { startAgent, type AgentProcess } from '../test/helpers/agent-process.js';

const SERVICES = Number(process.env['SERVICES'] ?? 1000);
const WORKERS = Number(process.env['WORKERS'] ?? 2);
const SCRAPES = Number(process.env['SCRAPES'] ?? 30);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function get(port: number, host = '127.0.0.1', path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sidecar-metrics-bench-'));
const backend = createServer((_req, res) => res.end('ok'));
let agent: AgentProcess | undefined;
const cleanUp = async (): Promise<void> => {
  await agent?.stop();
  await new Promise((resolve) => backend.close(resolve));
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

try {
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as { port: number }).port;
  const servicePorts: number[] = [];
  while (servicePorts.length < SERVICES) {
    const p = await freePort();
    if (!servicePorts.includes(p) && p !== backendPort) servicePorts.push(p);
  }
  writeFileSync(
    join(dir, 'static.json'),
    JSON.stringify(
      servicePorts.map((sp, i) => ({
        Service: { Name: `svc-${i}`, Image: 'bench:1', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: sp, IP: '127.0.0.1' }], ProxyMode: 'http' },
        Check: { Type: 'AlwaysSuccessful', Args: '' },
      })),
    ),
  );
  agent = startAgent([
    '--cluster-name', `metrics-bench-${process.pid}`, '--hostname', 'bench', '--discover', 'static', '--static-config', join(dir, 'static.json'),
    '--http-port', '0', '--bind-port', String(await freePort()), '--advertise-ip', '127.0.0.1', '--proxy-bind-ip', '127.0.0.1',
    '--proxy-workers', String(WORKERS), '--proxy-slow-start', '0',
  ]);
  const api = await agent.apiUrl();
  // Every frontend serves one request (the last port routed means all are).
  await eventually(async () => {
    if ((await get(servicePorts[SERVICES - 1] ?? 0)) !== 200) throw new Error('not routed yet');
  }, { timeoutMs: 120_000, intervalMs: 500 });
  for (let i = 0; i < SERVICES; i += 50) {
    await Promise.all(servicePorts.slice(i, i + 50).map((p) => get(p)));
  }
  const times: number[] = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const t0 = performance.now();
    const text = await (await fetch(`${api}/metrics`)).text();
    times.push(performance.now() - t0);
    bytes = Buffer.byteLength(text);
    series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  }
  // For comparison: /api/proxy.json is the same LoadBalancer.describe() (every worker's counters, merged) as JSON.
  const proxyJson: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const t0 = performance.now();
    await (await fetch(`${api}/api/proxy.json`)).text();
    proxyJson.push(performance.now() - t0);
  }
  const pj = [...proxyJson].sort((a, b) => a - b);
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(
    [
      `/metrics scrape: ${SERVICES} HTTP services (one frontend each), ${WORKERS} proxy worker threads, ${SCRAPES} scrapes in a row`,
      '',
      '| services | workers | series | body | scrape p50 | scrape p99 | scrape max | /api/proxy.json p50 (same describe()) |',
      '|---|---|---|---|---|---|---|---|',
      `| ${SERVICES} | ${WORKERS} | ${series} | ${(bytes / 1024 / 1024).toFixed(2)} MiB | ${percentile(sorted, 0.5).toFixed(1)} ms | ${percentile(sorted, 0.99).toFixed(1)} ms | ${(sorted.at(-1) ?? 0).toFixed(1)} ms | ${percentile(pj, 0.5).toFixed(1)} ms |`,
      '',
    ].join('\n'),
  );
} finally {
  await cleanUp();
}
