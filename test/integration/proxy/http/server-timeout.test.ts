import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { eventually } from '../../../helpers/eventually.js';
import { RawClient, get, setupProxy } from './http-harness.js';

// --proxy-server-timeout: an endpoint that accepts and then stops answering is given up on
// after serverTimeoutMs (from the forwarder's one sweep, no timer per request), and a hung
// endpoint is ejected after repeated time-outs.

/** A raw TCP backend: `onRequest` gets each connection once a request head arrived. */
async function rawBackend(t: { after(fn: () => Promise<void>): void }, onRequest: (socket: Socket) => void): Promise<{ port: number; open: () => number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (c: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) onRequest(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, open: () => sockets.size };
}

test('an endpoint that accepts and never answers: 504 after serverTimeoutMs, its connection destroyed', async (t) => {
  const p = await setupProxy(t, { serverTimeoutMs: 300 });
  const silent = await rawBackend(t, () => undefined);
  await p.route([{ key: 'silent', ip: '127.0.0.1', port: silent.port }]);
  const c = await RawClient.open(p.port);
  const started = Date.now();
  c.write(get());
  const r = await c.read();
  const ms = Date.now() - started;
  t.diagnostic(`504 after ${ms} ms (server timeout 300 ms)`);
  assert.equal(r.status, 504);
  assert.ok(ms >= 290 && ms < 2000, `504 after ${ms} ms`);
  assert.equal(p.stats().http?.errors.timeout, 1);
  // The upstream connection is destroyed, not pooled: the backend sees it close.
  await eventually(() => assert.equal(silent.open(), 0));
  assert.equal(p.stats().http?.upstreamConnections, 0);
  assert.equal(p.stats().http?.idleUpstreamConnections, 0);
  // The next request (the 504 closed its connection, as HAProxy does) times out once, on a
  // fresh upstream connection: no silent retry doubles the wait.
  await c.closed;
  const c2 = await RawClient.open(p.port);
  const again = Date.now();
  c2.write(get());
  assert.equal((await c2.read()).status, 504);
  assert.ok(Date.now() - again < 1000, `second 504 after ${Date.now() - again} ms`);
  c2.close();
});

test('a response whose body stalls half way: the client connection closes after serverTimeoutMs', async (t) => {
  const p = await setupProxy(t, { serverTimeoutMs: 300 });
  const half = await rawBackend(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(50)));
  await p.route([{ key: 'half', ip: '127.0.0.1', port: half.port }]);
  const c = await RawClient.open(p.port);
  const started = Date.now();
  c.write(get());
  await eventually(() => assert.match(c.buffered(), /x{50}$/));
  await c.closed;
  const ms = Date.now() - started;
  t.diagnostic(`client closed ${ms} ms after the request (head and 50 of 100 bytes sent)`);
  assert.ok(ms >= 290 && ms < 2000, `closed after ${ms} ms`);
  assert.match(c.buffered(), /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(p.stats().http?.errors.timeout, 1);
  await eventually(() => assert.equal(half.open(), 0));
  assert.equal(p.stats().http?.upstreamConnections, 0);
});

test('repeated time-outs eject a hung endpoint: new requests go to the other one before any health check', async (t) => {
  const p = await setupProxy(t, { serverTimeoutMs: 300 });
  const hung = await rawBackend(t, () => undefined);
  const ok = await p.backend('ok');
  await p.route([{ key: 'hung', ip: '127.0.0.1', port: hung.port }, ok.endpoint]);
  // Ten requests at once, round robin: five hang and time out together, which ejects `hung`.
  const clients = await Promise.all(Array.from({ length: 10 }, () => RawClient.open(p.port)));
  for (const c of clients) c.write(get());
  const statuses = (await Promise.all(clients.map((c) => c.read()))).map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 504, 504, 504, 504, 504]);
  const stats = p.stats().http;
  assert.equal(stats?.ejections, 1);
  assert.ok((stats?.endpoints.find((e) => e.key === 'hung')?.ejectedUntilMs ?? 0) > Date.now());
  // From now on every request goes to `ok`, at once.
  for (const c of clients) c.close();
  for (let i = 0; i < 10; i++) {
    const c = await RawClient.open(p.port);
    const started = Date.now();
    c.write(get());
    const r = await c.read();
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
    assert.ok(Date.now() - started < 250, 'answered without waiting on the hung endpoint');
    c.close();
  }
});

test('a time-out on a reused keep-alive connection is answered 504, not retried (the endpoint is hung, not stale)', async (t) => {
  const p = await setupProxy(t, { serverTimeoutMs: 300 });
  const served = new WeakSet<Socket>();
  // Answers the first request of each connection, then hangs.
  const flaky = await rawBackend(t, (socket) => {
    if (served.has(socket)) return;
    served.add(socket);
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  });
  await p.route([{ key: 'flaky', ip: '127.0.0.1', port: flaky.port }]);
  const c = await RawClient.open(p.port);
  c.write(get());
  assert.equal((await c.read()).status, 200);
  assert.equal(p.stats().http?.idleUpstreamConnections, 1);
  const started = Date.now();
  c.write(get());
  const r = await c.read();
  const ms = Date.now() - started;
  t.diagnostic(`${r.status} after ${ms} ms`);
  assert.equal(r.status, 504);
  assert.ok(ms < 600, `one time-out, not two (${ms} ms)`);
});
