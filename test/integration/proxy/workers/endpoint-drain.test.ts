import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ServiceStatus } from '../../../../src/catalog/index.js';
import { eventually } from '../../../helpers/eventually.js';
import { freePort, open, type OpenConnection } from '../proxy-harness.js';
import { httpBackend } from '../http/http-harness.js';
import { getOnce, run, startWorkersLb, steadyLoad } from './workers-harness.js';

/*
 * Endpoints leaving a route with 2 workers: every worker stops giving them new work at the
 * same update, connections already open to them finish, and steady load sees no failure.
 */

/** A TCP backend that greets with `<name>\n`, then echoes. */
async function greeter(t: { after(fn: () => Promise<void>): void }, name: string): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** Opens a connection through the proxy and reads the endpoint's greeting. */
async function openGreeted(port: number): Promise<{ conn: OpenConnection; name: string }> {
  const conn = await open(port);
  const name = await new Promise<string>((resolve) => {
    let got = '';
    const onData = (c: Buffer): void => {
      got += c.toString();
      if (!got.includes('\n')) return;
      conn.socket.off('data', onData);
      resolve(got.trim());
    };
    conn.socket.on('data', onData);
  });
  return { conn, name };
}

test('TCP: an endpoint leaving the route gets no new connection from any worker; its open connections keep working', { timeout: 30_000 }, async (t) => {
  const servicePort = await freePort();
  const p = startWorkersLb(t, { slowStartMs: 0 });
  p.put('a', { port: await greeter(t, 'a'), servicePort, mode: 'tcp' });
  p.put('b', { port: await greeter(t, 'b'), servicePort, mode: 'tcp' });
  await p.apply();

  const before = await Promise.all(Array.from({ length: 20 }, () => openGreeted(servicePort)));
  t.after(() => {
    for (const { conn } of before) conn.socket.destroy();
  });
  const onB = before.filter((c) => c.name === 'b');
  assert.ok(onB.length >= 8 && onB.length <= 12, `round robin gave b about half of the connections: ${onB.length}`);
  assert.ok((await p.workers()).every((w) => w.connectionsActive > 0), 'both workers hold connections');

  p.put('b', { port: (await p.describe()).routes[0]!.endpoints.find((e) => e.serviceId === 'b')!.port, servicePort, mode: 'tcp', status: ServiceStatus.DRAINING });
  await p.apply();
  const fresh = await Promise.all(Array.from({ length: 40 }, () => openGreeted(servicePort)));
  t.after(() => {
    for (const { conn } of fresh) conn.socket.destroy();
  });
  assert.deepEqual([...new Set(fresh.map((c) => c.name))], ['a'], 'no new connection went to the draining endpoint');
  for (const { conn } of onB) assert.equal(await conn.roundTrip('still here'), 'still here', 'connections open to b keep working');
  const f = await p.frontend(servicePort);
  assert.equal(f?.endpoints.find((e) => e.key === 'host-b-b')?.connectionsActive, onB.length);
});

test('HTTP: requests in flight on a leaving endpoint finish; no new request goes there', { timeout: 30_000 }, async (t) => {
  const a = await httpBackend('a');
  const release: Array<() => void> = [];
  const slow = await httpBackend('slow', (_req, res) => release.push(() => res.end('slow')));
  t.after(() => Promise.all([a.close(), slow.close()]).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t, { slowStartMs: 0 });
  p.put('a', { port: a.endpoint.port, servicePort, mode: 'http' });
  p.put('slow', { port: slow.endpoint.port, servicePort, mode: 'http' });
  await p.apply();

  // About half of 20 requests (each worker alternates) wait on `slow`.
  const inFlight = Array.from({ length: 20 }, () => getOnce(servicePort, '/', 10_000));
  await eventually(() => assert.equal(release.length + a.seen.length, 20));
  const held = release.length;
  assert.ok(held >= 8 && held <= 12, `${held} requests on slow`);
  p.remove('slow');
  await p.apply();
  for (let i = 0; i < 20; i++) assert.deepEqual(await getOnce(servicePort), { status: 200, body: 'a' }, 'new requests go to the endpoints left');
  assert.equal(release.length, held, 'none went to the removed endpoint');
  for (const r of release) r();
  const answers = await Promise.all(inFlight);
  assert.deepEqual(answers.map((x) => x.body).sort(), [...Array<string>(20 - held).fill('a'), ...Array<string>(held).fill('slow')], 'the requests in flight finished');
});

test('zero failed requests while endpoints drain, leave and come back under steady load', { timeout: 30_000 }, async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map((name) => httpBackend(name)));
  t.after(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t, { slowStartMs: 0 });
  const put = (i: number, status?: typeof ServiceStatus.DRAINING): void =>
    p.put(['a', 'b', 'c'][i]!, { port: backends[i]!.endpoint.port, servicePort, mode: 'http', ...(status === undefined ? {} : { status }) });
  [0, 1, 2].forEach((i) => put(i));
  await p.apply();

  const load = steadyLoad(t, servicePort, { keepAlive: 6, fresh: 2 });
  t.after(() => load.stop());
  await run(300);
  put(1, ServiceStatus.DRAINING);
  await p.apply();
  const drainedAt = Date.now();
  await run(300);
  const removingAt = Date.now();
  p.remove('c');
  await p.apply();
  const removedAt = Date.now();
  await run(300);
  const addingAt = Date.now();
  put(1);
  put(2);
  await p.apply();
  const backAt = Date.now();
  await run(300);
  await load.stop();

  /** What answered between two moments (requests picked just before a change may answer just after: 50 ms margin). */
  const bodies = (from: number, to: number): string[] => [...new Set(load.outcomes.filter((o) => o.atMs > from + 50 && o.atMs < to).map((o) => o.body))].sort();
  const shares = await p.workers();
  t.diagnostic(`${load.outcomes.length} requests, ${load.failures().length} failed; per worker ${shares.map((w) => w.requests).join(' / ')}`);
  assert.deepEqual(load.failures(), []);
  assert.deepEqual(bodies(drainedAt, removingAt), ['a', 'c'], 'the draining endpoint got no new request');
  assert.deepEqual(bodies(removedAt, addingAt), ['a'], 'nor the removed one');
  assert.deepEqual(bodies(backAt, Infinity), ['a', 'b', 'c'], 'both came back');
  for (const w of shares) assert.ok(w.requests > 0, `worker ${w.index} served no request`);
});
