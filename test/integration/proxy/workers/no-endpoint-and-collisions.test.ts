import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ServiceStatus } from '../../../../src/catalog/index.js';
import { freePort } from '../proxy-harness.js';
import { httpBackend } from '../http/http-harness.js';
import { getOnce, startWorkersLb } from './workers-harness.js';

/*
 * With 2 workers: a port whose service has no ALIVE instance is held by every worker (HTTP
 * clients get a 503 naming the service, TCP clients a prompt close), and a ServicePort claimed
 * by two services is served by the older one in every worker.
 */

/** Connects and resolves with what arrived and how long until the proxy closed the connection. */
function connectUntilClosed(port: number): Promise<{ data: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let data = '';
    const s = connect({ host: '127.0.0.1', port });
    s.on('data', (c: Buffer) => (data += c.toString()));
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    s.on('close', () => resolve({ data, ms: Date.now() - started }));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the proxy kept the connection open'));
    }, 3_000);
    s.on('close', () => clearTimeout(timer));
  });
}

test('HTTP: no ALIVE endpoint: every worker answers 503 naming the service', async (t) => {
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  p.put('sick', { port: await freePort(), servicePort, mode: 'http', name: 'billing', status: ServiceStatus.UNHEALTHY });
  await p.apply();
  const answers = await Promise.all(Array.from({ length: 40 }, () => getOnce(servicePort)));
  for (const a of answers) {
    assert.equal(a.status, 503);
    assert.match(a.body, new RegExp(`no healthy instance of billing on port ${servicePort}`));
  }
  const workers = await p.workers();
  t.diagnostic(`503s per worker: ${workers.map((w) => w.requests).join(' / ')}`);
  for (const w of workers) assert.ok(w.requests > 0, `worker ${w.index} answered none`);
  assert.equal((await p.frontend(servicePort))?.noEndpointTotal, 40);
});

test('TCP: no ALIVE endpoint: every worker closes the connection promptly', async (t) => {
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  p.put('sick', { port: await freePort(), servicePort, mode: 'tcp', status: ServiceStatus.UNHEALTHY });
  await p.apply();
  const closes = await Promise.all(Array.from({ length: 40 }, () => connectUntilClosed(servicePort)));
  const slowest = Math.max(...closes.map((c) => c.ms));
  const workers = await p.workers();
  t.diagnostic(`slowest close ${slowest} ms; connections per worker: ${workers.map((w) => w.connectionsTotal).join(' / ')}`);
  for (const c of closes) assert.equal(c.data, '');
  assert.ok(slowest < 2_000, `a connection stayed open ${slowest} ms`);
  for (const w of workers) assert.ok(w.connectionsTotal > 0, `worker ${w.index} took none`);
  assert.equal((await p.frontend(servicePort))?.noEndpointTotal, 40);
});

test('two services on one ServicePort: every worker serves the older one only', async (t) => {
  const older = await httpBackend('older');
  const newer = await httpBackend('newer');
  t.after(() => Promise.all([older.close(), newer.close()]).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  p.put('o', { port: older.endpoint.port, servicePort, mode: 'http', name: 'older' });
  p.put('n', { port: newer.endpoint.port, servicePort, mode: 'http', name: 'newer' });
  await p.apply();
  const answers = await Promise.all(Array.from({ length: 40 }, () => getOnce(servicePort)));
  assert.deepEqual([...new Set(answers.map((a) => `${a.status} ${a.body}`))], ['200 older']);
  assert.equal(newer.seen.length, 0);
  const status = await p.describe();
  assert.deepEqual(status.collisions, [{ servicePort, owner: 'older', rejected: ['newer'] }]);
  for (const w of status.workers ?? []) assert.ok(w.requests > 0, `worker ${w.index} served none`);
  assert.equal(p.logs.filter((r) => /claimed by several services/.test(r.msg)).length, 1, 'the collision is logged once (by the main thread)');
});
