import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freePort, startBackend } from '../proxy-harness.js';
import { httpBackend } from '../http/http-harness.js';
import { getOnce, startWorkersLb } from './workers-harness.js';

/*
 * Retries and redispatch in every worker: a route with a dead endpoint (nothing listens on its
 * port) costs the clients nothing, whichever worker takes their connection.
 */

const CONNECTIONS = 300;

test('TCP mode: a dead endpoint in the route, 300 new connections over both workers, zero client failures', async (t) => {
  const live = await Promise.all(['one', 'two'].map((name) => startBackend({ name })));
  t.after(() => Promise.all(live.map((b) => b.close())).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  p.put('dead', { port: await freePort(), servicePort, mode: 'tcp' });
  live.forEach((b, i) => p.put(`live${i}`, { port: b.endpoint.port, servicePort, mode: 'tcp' }));
  await p.apply();

  const answers: string[] = [];
  for (let i = 0; i < CONNECTIONS; i += 10) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => exchange(servicePort, 'x').then(String)))));
  assert.deepEqual([...new Set(answers)].sort(), ['one', 'two'], 'every connection reached a live endpoint');
  const f = await p.frontend(servicePort);
  const dead = f?.endpoints.find((e) => e.key === 'host-dead-dead');
  t.diagnostic(`connect errors on the dead endpoint: ${dead?.connectErrors}; connections per worker: ${(await p.workers()).map((w) => w.connectionsTotal).join(' / ')}`);
  assert.ok((dead?.connectErrors ?? 0) > 0, 'the dead endpoint was tried (and the connection redispatched)');
  assert.equal(f?.noEndpointTotal, 0);
  for (const w of await p.workers()) assert.ok(w.connectionsTotal > 0, `worker ${w.index} took no connection`);
});

test('HTTP mode: a dead endpoint in the route, 300 requests on new connections over both workers, zero client failures', async (t) => {
  const live = await Promise.all(['a', 'b'].map((name) => httpBackend(name)));
  t.after(() => Promise.all(live.map((b) => b.close())).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  p.put('dead', { port: await freePort(), servicePort, mode: 'http' });
  live.forEach((b, i) => p.put(`live${i}`, { port: b.endpoint.port, servicePort, mode: 'http' }));
  await p.apply();

  const answers: string[] = [];
  for (let i = 0; i < CONNECTIONS; i += 10) {
    for (const a of await Promise.all(Array.from({ length: 10 }, () => getOnce(servicePort)))) {
      assert.equal(a.status, 200, a.body);
      answers.push(a.body);
    }
  }
  assert.deepEqual([...new Set(answers)].sort(), ['a', 'b']);
  const f = await p.frontend(servicePort);
  const dead = f?.endpoints.find((e) => e.key === 'host-dead-dead');
  const workers = await p.workers();
  t.diagnostic(`connect errors on the dead endpoint: ${dead?.connectErrors}; requests per worker: ${workers.map((w) => w.requests).join(' / ')}`);
  assert.ok((dead?.connectErrors ?? 0) > 0, 'the dead endpoint was tried (and the request redispatched)');
  assert.equal(f?.http?.responses['5xx'], 0);
  for (const w of workers) assert.ok(w.requests > 0, `worker ${w.index} served no request`);
});
