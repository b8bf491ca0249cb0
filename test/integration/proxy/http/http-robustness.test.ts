import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { eventually } from '../../../helpers/eventually.js';
import { RawClient, get, setupProxy, picker, type HttpBackend } from './http-harness.js';
import type { ProxyRoute } from '../../../../src/proxy/frontend-set.js';

/** A backend that accepts upgrades: answers 101, then echoes bytes upper-cased. */
async function upgradeBackend(p: Awaited<ReturnType<typeof setupProxy>>): Promise<HttpBackend> {
  const b = await p.backend('ws');
  b.server.on('upgrade', (req, socket, head) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade ?? ''}\r\nConnection: Upgrade\r\n\r\nhello`);
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    socket.on('end', () => socket.end());
  });
  return b;
}

for (const mode of ['ws', 'http']) {
  test(`${mode} mode: an upgrade gets 101, then bytes flow both ways as raw TCP`, async (t) => {
    const p = await setupProxy(t);
    const b = await upgradeBackend(p);
    await p.route([b.endpoint], mode);
    const c = await RawClient.open(p.port);
    c.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly');
    const r = await c.read(true);
    assert.equal(r.status, 101);
    assert.equal(r.headers.get('upgrade'), 'websocket');
    assert.equal(r.headers.get('connection'), 'Upgrade');
    c.write('ping');
    await eventually(() => assert.equal(c.buffered(), 'helloEARLYPING'));
    assert.equal(p.stats().http?.responses['1xx'], 1);
    c.socket.end();
    await c.closed;
    await eventually(() => assert.equal(p.stats().http?.upstreamConnections, 0));
  });
}

test('malformed requests get 400 or 431 and the proxy keeps serving', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b');
  await p.route([b.endpoint]);
  const cases: [string, number][] = [
    ['GARBAGE\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\n\r\n', 400], // no Host
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n', 400], // bare LF
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  folded\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
    [`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(70 * 1024)}\r\n\r\n`, 431],
    [`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(70 * 1024)}`, 431], // never-ending head
  ];
  for (const [raw, status] of cases) {
    const c = await RawClient.open(p.port);
    c.write(raw);
    const r = await c.read();
    assert.equal(r.status, status, JSON.stringify(raw.slice(0, 60)));
    assert.equal(r.headers.get('connection'), 'close');
    await c.closed;
  }
  assert.equal(b.seen.length, 0);
  assert.equal(p.stats().http?.errors.badRequest, cases.length);
  const ok = await RawClient.open(p.port);
  ok.write(get());
  assert.equal((await ok.read()).body.toString(), 'b');
  ok.close();
});

test('request smuggling attempts are refused before reaching a backend', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b');
  await p.route([b.endpoint]);
  const smuggled = 'GET /admin HTTP/1.1\r\nHost: a\r\n\r\n';
  const cases = [
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    `POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    `POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${smuggled}`,
  ];
  for (const raw of cases) {
    const c = await RawClient.open(p.port);
    c.write(raw);
    assert.equal((await c.read()).status, 400, JSON.stringify(raw.slice(0, 90)));
    await c.closed;
  }
  // A malformed chunk size in the body: 400 and the connection ends; nothing after it is forwarded.
  const c = await RawClient.open(p.port);
  c.write(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${smuggled}`);
  assert.equal((await c.read()).status, 400);
  await c.closed;
  assert.ok(b.seen.every((s) => s.url !== '/admin'));
});

test('a client that aborts mid-response leaves no upstream socket behind', async (t) => {
  const p = await setupProxy(t);
  const streams = new Set<NodeJS.Timeout>();
  t.after(() => streams.forEach((s) => clearInterval(s)));
  const b = await p.backend('stream', (_req, res) => {
    res.write('x'.repeat(1000));
    const timer = setInterval(() => res.write('y'.repeat(1000)), 5);
    streams.add(timer);
    res.on('close', () => clearInterval(timer));
  });
  await p.route([b.endpoint]);
  const clients: RawClient[] = [];
  for (let i = 0; i < 10; i++) {
    const c = await RawClient.open(p.port);
    c.write(get());
    clients.push(c);
  }
  await eventually(() => assert.equal(p.stats().http?.responses['2xx'], 10));
  assert.equal(p.stats().http?.upstreamConnections, 10);
  for (const c of clients) c.close();
  await eventually(() => assert.equal(p.stats().http?.upstreamConnections, 0));
  await eventually(async () => assert.equal(await b.connections(), 0));
  assert.equal(p.stats().connectionsActive, 0);
});

test('swapping the picker does not cut an in-flight request; the next one goes to a remaining endpoint', async (t) => {
  const p = await setupProxy(t);
  let release: () => void = () => undefined;
  const a = await p.backend('a', (_req, res) => {
    res.write('a-start;');
    release = () => res.end('a-end');
  });
  const b = await p.backend('b');
  await p.route([a.endpoint, b.endpoint]);
  const c = await RawClient.open(p.port);
  c.write(get('/slow'));
  await eventually(() => assert.equal(a.seen.length, 1));
  await p.set.apply(new Map<number, ProxyRoute>([[p.port, { picker: picker([b.endpoint]), mode: 'http', serviceName: 'svc' }]]));
  release();
  assert.equal((await c.read()).body.toString(), 'a-start;a-end');
  c.write(get('/next') + get('/next'));
  assert.equal((await c.read()).body.toString(), 'b');
  assert.equal((await c.read()).body.toString(), 'b');
  c.close();
});

test('a pooled connection the server closed is retried once on a fresh one (idempotent request)', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b');
  b.server.keepAliveTimeout = 1; // the backend closes idle connections almost at once
  await p.route([b.endpoint]);
  for (let i = 0; i < 20; i++) {
    const c = await RawClient.open(p.port);
    c.write(get());
    assert.equal((await c.read()).status, 200);
    c.close();
    await new Promise((r) => setTimeout(r, i % 3));
  }
  assert.equal(p.stats().http?.responses['5xx'], 0);
});

test('an upstream that resets before answering gives 502; the proxy survives', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b', (req) => req.socket.destroy());
  await p.route([b.endpoint]);
  const c = await RawClient.open(p.port);
  c.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi');
  assert.equal((await c.read()).status, 502);
  await c.closed;
  assert.equal(p.stats().http?.errors.reset, 1);
});

test('close() leaves no client or upstream sockets open', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b', (_req, res) => res.write('never ends'));
  const idle = await p.backend('idle');
  await p.route([b.endpoint, idle.endpoint]);
  const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.open(p.port)));
  for (const c of clients) c.write(get());
  await eventually(() => assert.equal((b.seen.length, idle.seen.length), 2));
  await eventually(() => assert.equal(p.stats().http?.responses['2xx'], 4));
  await p.set.close();
  await Promise.all(clients.map((c) => c.closed));
  await eventually(async () => assert.deepEqual([await b.connections(), await idle.connections()], [0, 0]));
});

test('a node:http client loop sees zero failures while the endpoint set changes', async (t) => {
  const p = await setupProxy(t);
  const bs = [await p.backend('a'), await p.backend('b'), await p.backend('c')];
  await p.route(bs.map((x) => x.endpoint));
  let failures = 0;
  const names = new Set<string>();
  const loop = async (): Promise<void> => {
    for (let i = 0; i < 60; i++) {
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port: p.port, path: '/', agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            if (res.statusCode !== 200) failures++;
            names.add(text);
            resolve();
          });
        });
        req.on('error', () => {
          failures++;
          resolve();
        });
        req.end();
      });
      if (i === 20) await p.route(bs.slice(1).map((x) => x.endpoint));
      if (i === 40) await p.route(bs.slice(2).map((x) => x.endpoint));
    }
  };
  await Promise.all([loop(), loop()]);
  assert.equal(failures, 0);
  assert.deepEqual([...names].sort(), ['a', 'b', 'c']);
});
