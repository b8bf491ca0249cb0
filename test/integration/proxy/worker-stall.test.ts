import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, systemClock } from '../../../src/core/index.js';
import { LoadBalancer, WORKER_STALL_TIMEOUT_MS } from '../../../src/proxy/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from './proxy-harness.js';

/** GET / on a new connection; its status, or 0 when the connection failed or took over 2 s. */
function getOnce(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

test('a worker whose event loop is blocked is replaced by the watchdog; the other keeps serving', { timeout: 60_000 }, async (t) => {
  const server: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const servicePort = await freePort();
  const { logger, records } = captureLogger();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger, clock: systemClock, workers: 2 });
  after(() => lb.close());
  const { stamps } = makeState(new Date().toISOString());
  const port = (server.address() as AddressInfo).port;
  await lb.update([makeService({ id: 'a', hostname: 'h', proxyMode: 'http', updated: stamps.now(), ports: [{ type: 'tcp', port, servicePort, ip: '127.0.0.1' }] })]);
  for (let i = 0; i < 20; i++) assert.equal(await getOnce(servicePort), 200);

  const stalledAt = Date.now();
  lb.workerPlane?.injectFault(0, 'stall');
  await new Promise((resolve) => setTimeout(resolve, 500));
  // While worker 0 is blocked, the other worker answers what reaches it and hands nothing to
  // the blocked one (its heartbeat is stale); the kernel still queues about half of the new
  // connections on the blocked worker's socket until the watchdog replaces it.
  const during = await Promise.all(Array.from({ length: 20 }, () => getOnce(servicePort)));
  t.diagnostic(`during the stall: ${during.filter((s) => s === 200).length} of 20 answered within 2 s`);
  assert.ok(during.some((s) => s === 200), 'the healthy worker kept serving');

  const replaced = await eventually(
    async () => {
      const w = (await lb.describe()).workers?.[0];
      assert.equal(w?.restarts, 1);
      assert.equal(w?.state, 'running');
      return Date.now() - stalledAt;
    },
    { timeoutMs: WORKER_STALL_TIMEOUT_MS + 10_000, intervalMs: 100 },
  );
  t.diagnostic(`worker 0 replaced ${replaced} ms after it stalled (watchdog: ${WORKER_STALL_TIMEOUT_MS} ms)`);
  const died = records.filter((r) => r['code'] === ErrorCode.PROXY_WORKER_DIED);
  assert.equal(died.length, 1, 'logged once');
  assert.equal(died[0]?.level, LEVEL.error);
  assert.match(String(died[0]?.msg), /stalled/);

  const afterwards = await Promise.all(Array.from({ length: 40 }, () => getOnce(servicePort)));
  assert.deepEqual(afterwards.filter((s) => s !== 200), [], 'every request answered once the worker is back');
  const shares = (await lb.describe()).workers ?? [];
  assert.equal(shares.length, 2);
  assert.ok(shares.every((w) => w.state === 'running'));
});
