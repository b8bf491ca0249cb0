import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, Agent, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock, silentLogger, type Clock, type TimerHandle } from '../../src/core/index.js';
import { ServiceStatus, type Service } from '../../src/catalog/index.js';
import { LoadBalancer } from '../../src/proxy/index.js';
import { makeService, makeState } from '../helpers/catalog.js';
import { freePort } from '../integration/proxy/proxy-harness.js';

/**
 * Soak: the load balancer under steady HTTP and TCP load while its endpoints churn (turning
 * UNHEALTHY, DRAINING, ALIVE, leaving and coming back several times a second). After the
 * load stops, sockets, timers and heap must be back to where they were. Bounded: runs for
 * SOAK_SECONDS (default 120). Runs only with SIDECAR_SOAK=1 (CI sets it); a skip otherwise.
 */
const ENABLED = process.env['SIDECAR_SOAK'] === '1';
const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 120);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The system clock, counting the timers that are pending (ours are unref'd, so Node's resource list does not show them). */
class CountingClock implements Clock {
  readonly pending = new Set<TimerHandle>();
  nowMs(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const handle: TimerHandle = systemClock.setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, delayMs);
    this.pending.add(handle);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle);
    systemClock.clearTimeout(handle);
  }
  setInterval(fn: () => void, intervalMs: number): TimerHandle {
    const handle = systemClock.setInterval(fn, intervalMs);
    this.pending.add(handle);
    return handle;
  }
  clearInterval(handle: TimerHandle): void {
    this.pending.delete(handle);
    systemClock.clearInterval(handle);
  }
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

async function settledHeapMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function backend(name: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(name));
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Handle kinds that must not grow: sockets, listening sockets, timers. */
const WATCHED = ['TCPSocketWrap', 'Timeout', 'TCPServerWrap'] as const;

/** The worker threads' handles summed by kind, and their heaps after a full collection (MiB). */
async function workerRuntime(lb: LoadBalancer): Promise<{ resources: Record<string, number>; heapMb: number }> {
  const all = (await lb.workerPlane?.runtime(true)) ?? [];
  const resources: Record<string, number> = {};
  let heap = 0;
  for (const w of all) {
    heap += w.heapUsedBytes;
    for (const [kind, n] of Object.entries(w.resources)) resources[kind] = (resources[kind] ?? 0) + n;
  }
  return { resources, heapMb: heap / 2 ** 20 };
}

for (const workers of [0, 2]) {
  const title = workers === 0 ? 'the main thread forwarding' : `${workers} worker threads forwarding`;
  test(`no growth in sockets, timers or memory under load with endpoint churn, ${title}`, { skip: ENABLED ? false : 'set SIDECAR_SOAK=1 to run the soak test', timeout: (SECONDS + 120) * 1000 }, (t) => soak(t, workers));
}

async function soak(t: TestContext, workers: number): Promise<void> {
  const servers = await Promise.all(['a', 'b', 'c', 'd'].map(backend));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const clock = new CountingClock();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock, slowStartMs: 500, drainTimeoutMs: 2000, workers });
  const { stamps } = makeState(new Date().toISOString());
  const record = (i: number, servicePort: number, mode: string, status: number): Service =>
    makeService({ id: `${mode}${i}`, name: `soak-${mode}`, hostname: `h${i}`, proxyMode: mode, status, updated: stamps.now(), ports: [{ type: 'tcp', port: ports[i] ?? 0, servicePort, ip: '127.0.0.1' }] });
  // -1 = the instance is gone from the catalog.
  const statuses: number[] = [ServiceStatus.ALIVE, ServiceStatus.ALIVE, ServiceStatus.ALIVE, ServiceStatus.ALIVE];
  const all = (): Service[] => statuses.flatMap((status, i) => (status === -1 ? [] : [record(i, httpPort, 'http', status), record(i, tcpPort, 'tcp', status)]));
  await lb.update(all());

  const baselineResources = resources();
  const baselineTimers = clock.pending.size;
  const baselineWorkers = await workerRuntime(lb);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let running = true;
  let requests = 0;
  let failures = 0;
  const httpLoop = async (): Promise<void> => {
    while (running) {
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: httpPort, path: '/', agent }, (res) => {
          res.resume().on('end', () => {
            requests++;
            if (res.statusCode !== 200) failures++;
            resolve();
          });
        });
        req.on('error', () => {
          failures++;
          resolve();
        });
        req.end();
      });
    }
  };
  const tcpLoop = async (): Promise<void> => {
    while (running) {
      await new Promise<void>((resolve) => {
        const s = connect(tcpPort, '127.0.0.1', () => s.end('GET / HTTP/1.0\r\n\r\n'));
        s.on('data', () => undefined);
        s.on('close', () => {
          requests++;
          resolve();
        });
        s.on('error', () => {
          failures++;
          resolve();
        });
      });
    }
  };
  // Churn: every 250 ms one endpoint changes status or leaves/returns; at least one stays ALIVE.
  let step = 0;
  const churn = setInterval(() => {
    step++;
    const i = 1 + (step % 3);
    const cycle = [ServiceStatus.UNHEALTHY, ServiceStatus.ALIVE, ServiceStatus.DRAINING, ServiceStatus.ALIVE, -1, ServiceStatus.ALIVE];
    statuses[i] = cycle[Math.floor(step / 3) % cycle.length] ?? ServiceStatus.ALIVE;
    void lb.update(all());
  }, 250);

  const loops = [httpLoop(), httpLoop(), httpLoop(), tcpLoop()];
  const warmupMs = Math.min(20_000, (SECONDS * 1000) / 4);
  let heapAfterWarmup: number;
  let workersAfterWarmup: { resources: Record<string, number>; heapMb: number };
  try {
    await new Promise((resolve) => setTimeout(resolve, warmupMs));
    heapAfterWarmup = await settledHeapMb();
    workersAfterWarmup = await workerRuntime(lb);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000 - warmupMs));
  } finally {
    // Stop the load and the churn whatever happened, so nothing keeps running after the test.
    running = false;
    clearInterval(churn);
    await Promise.all(loops);
  }
  const heapAtEnd = await settledHeapMb();
  agent.destroy();
  for (let i = 0; i < statuses.length; i++) statuses[i] = ServiceStatus.ALIVE;
  await lb.update(all());
  // Let pooled upstream connections time out and draining listeners finish.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const endResources = resources();
  const endWorkers = await workerRuntime(lb);
  t.diagnostic(`requests ${requests}, failures ${failures}, churn steps ${step}`);
  t.diagnostic(`heap after warm-up ${heapAfterWarmup.toFixed(1)} MiB, at end ${heapAtEnd.toFixed(1)} MiB`);
  t.diagnostic(`load balancer timers pending: ${baselineTimers} at start, ${clock.pending.size} at end`);
  t.diagnostic(`resources at start ${JSON.stringify(baselineResources)}, at end ${JSON.stringify(endResources)}`);
  if (workers > 0) {
    t.diagnostic(`worker heaps after warm-up ${workersAfterWarmup.heapMb.toFixed(1)} MiB, at end ${endWorkers.heapMb.toFixed(1)} MiB`);
    t.diagnostic(`worker resources at start ${JSON.stringify(baselineWorkers.resources)}, at end ${JSON.stringify(endWorkers.resources)}`);
    t.diagnostic(`workers: ${JSON.stringify((await lb.describe()).workers)}`);
  }
  t.diagnostic(`proxy status: ${JSON.stringify((await lb.describe()).routes.map((r) => ({ port: r.servicePort, endpoints: r.endpoints.length, active: r.listener?.connectionsActive })))}`);

  assert.ok(requests > 1000, 'the load ran');
  assert.ok(failures <= requests * 0.001, `failures ${failures} of ${requests}`);
  assert.ok(heapAtEnd - heapAfterWarmup < 16, `heap grew ${(heapAtEnd - heapAfterWarmup).toFixed(1)} MiB`);
  assert.ok(clock.pending.size <= baselineTimers, `timers: ${baselineTimers} at start, ${clock.pending.size} at end`);
  for (const kind of WATCHED) {
    assert.ok((endResources[kind] ?? 0) <= (baselineResources[kind] ?? 0), `${kind}: ${baselineResources[kind] ?? 0} at start, ${endResources[kind] ?? 0} at end`);
    assert.ok((endWorkers.resources[kind] ?? 0) <= (baselineWorkers.resources[kind] ?? 0), `workers' ${kind}: ${baselineWorkers.resources[kind] ?? 0} at start, ${endWorkers.resources[kind] ?? 0} at end`);
  }
  assert.ok(endWorkers.heapMb - workersAfterWarmup.heapMb < 16, `worker heaps grew ${(endWorkers.heapMb - workersAfterWarmup.heapMb).toFixed(1)} MiB`);
  if (workers > 0) {
    const shares = (await lb.describe()).workers ?? [];
    assert.equal(shares.length, workers);
    for (const w of shares) assert.ok(w.connectionsTotal > 0 && w.restarts === 0, `worker ${w.index} served and never died: ${JSON.stringify(w)}`);
  }
  await lb.close();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
}
