import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, silentLogger } from '../../../src/core/index.js';
import { ServiceStatus, type Service } from '../../../src/catalog/index.js';
import { LoadBalancer } from '../../../src/proxy/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from './proxy-harness.js';

/** An HTTP backend answering its name, which can be stopped and started again on the same port. */
class RestartableBackend {
  private server: Server | undefined;
  port = 0;
  constructor(readonly name: string) {}
  async start(): Promise<void> {
    const server = createServer((_req, res) => res.end(this.name));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
  return res.text();
}

test('an endpoint ejected while down gets its share again as soon as its health check passes (row 8)', async (t) => {
  const a = new RestartableBackend('a');
  const b = new RestartableBackend('b');
  await a.start();
  await b.start();
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const servicePort = await freePort();
  // Slow start off: this test is about ejection, not the warm-up ramp.
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock: systemClock, slowStartMs: 0 });
  t.after(() => lb.close());
  const { state, stamps } = makeState(new Date().toISOString());
  const record = (id: string, port: number): Service =>
    makeService({ id, hostname: `host-${id}`, proxyMode: 'http', updated: stamps.now(), ports: [{ type: 'tcp', port, servicePort, ip: '127.0.0.1' }] });
  const ra = record('a', a.port);
  state.addServiceEntry(ra);
  state.addServiceEntry(record('b', b.port));
  const all = (): Service[] => [...state.servers.values()].flatMap((s) => [...s.services.values()]);
  await lb.update(all());
  const ejections = async (): Promise<number> => (await lb.stats()).find((l) => l.port === servicePort)?.http?.ejections ?? 0;

  // a dies: its connect failures are retried on b (clients see only b) until a is ejected.
  await a.stop();
  for (let i = 0; i < 12; i++) assert.equal(await get(servicePort), 'b');
  assert.equal(await ejections(), 1, 'a was ejected after consecutive connect failures');

  // a is back, but the catalog has not said so: it stays ejected (its ejection lasts 10 s).
  await a.start();
  for (let i = 0; i < 10; i++) assert.equal(await get(servicePort), 'b', 'still ejected until its health check passes');

  // Its health check saw the outage (UNHEALTHY) and now passes again (ALIVE, newer Updated).
  state.addServiceEntry({ ...ra, status: ServiceStatus.UNHEALTHY, updated: stamps.now() });
  await lb.update(all());
  state.addServiceEntry({ ...ra, status: ServiceStatus.ALIVE, updated: stamps.now() });
  const aliveAt = Date.now();
  await lb.update(all());
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) seen.push(await get(servicePort));
  const backInMs = Date.now() - aliveAt;
  t.diagnostic(`back in rotation ${backInMs} ms after ALIVE; answers: ${seen.join('')}`);
  assert.equal(seen.filter((s) => s === 'a').length, 5, 'a gets its full round-robin share at once');

  // A second outage is ejected for the base period again (its history was forgiven), not 2×.
  await a.stop();
  for (let i = 0; i < 12; i++) await get(servicePort);
  const endpoint = (await lb.stats()).find((l) => l.port === servicePort)?.http?.endpoints.find((e) => e.key === 'host-a-a');
  assert.equal(endpoint?.ejections, 1);
  const period = (endpoint?.ejectedUntilMs ?? 0) - Date.now();
  assert.ok(period > 8_000 && period <= 10_000, `second ejection lasts the base 10 s (left: ${period} ms)`);
});

test('a restart the health check never saw: the ejection ends by itself after its period', async (t) => {
  const a = new RestartableBackend('a');
  const b = new RestartableBackend('b');
  await a.start();
  await b.start();
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const servicePort = await freePort();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock: systemClock, slowStartMs: 0, outlier: { baseEjectionMs: 1000 } });
  t.after(() => lb.close());
  const { stamps } = makeState(new Date().toISOString());
  const services = [a, b].map((x) =>
    makeService({ id: x.name, hostname: `host-${x.name}`, proxyMode: 'http', updated: stamps.now(), ports: [{ type: 'tcp', port: x.port, servicePort, ip: '127.0.0.1' }] }),
  );
  await lb.update(services);
  await a.stop();
  for (let i = 0; i < 12; i++) assert.equal(await get(servicePort), 'b');
  await a.start();
  const started = Date.now();
  await eventually(async () => assert.equal(await get(servicePort), 'a'), { timeoutMs: 5000, intervalMs: 50 });
  const ms = Date.now() - started;
  t.diagnostic(`back after ${ms} ms (ejection 1000 ms)`);
  assert.ok(ms >= 500, `not before its ejection ends (${ms} ms)`);
});
