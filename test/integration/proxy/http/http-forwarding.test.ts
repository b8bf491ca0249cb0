import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request, Agent } from 'node:http';
import { deadEndpoint, freePort } from '../proxy-harness.js';
import { RawClient, get, setupProxy } from './http-harness.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** One request through node:http; resolves with status, headers and body. */
function call(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | Buffer[]; agent?: Agent }) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers ?? {}, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = options.body;
    if (Array.isArray(body)) {
      for (const b of body) req.write(b);
      req.end();
    } else req.end(body);
  });
}

test('GET and POST with Content-Length, keep-alive, forwarded headers', async (t) => {
  const p = await setupProxy(t);
  const echo = await p.backend('echo', (req, res, body) => {
    res.setHeader('x-method', req.method ?? '');
    res.end(body);
  });
  await p.route([echo.endpoint]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const g = await call(p.port, { agent });
  assert.equal(g.status, 200);
  assert.equal(g.headers['x-method'], 'GET');
  const post = await call(p.port, { method: 'POST', body: Buffer.from('hello'), agent, headers: { 'content-length': '5' } });
  assert.equal(post.body.toString(), 'hello');
  assert.equal(echo.seen.length, 2);
  const h = echo.seen[1]?.headers;
  assert.equal(h?.['x-forwarded-for'], '127.0.0.1');
  assert.equal(h?.['x-forwarded-proto'], 'http');
  assert.equal(h?.['x-forwarded-host'], `127.0.0.1:${p.port}`);
  assert.equal(await echo.connections(), 1, 'both requests used one pooled upstream connection');
  const s = p.stats();
  assert.equal(s.http?.requests, 2);
  assert.equal(s.http?.responses['2xx'], 2);
  assert.equal(s.http?.latency.count, 2);
  assert.equal(s.http?.endpoints[0]?.requests, 2);
});

test('chunked request and response bodies', async (t) => {
  const p = await setupProxy(t);
  const echo = await p.backend('echo', (_req, res, body) => {
    res.write(body.subarray(0, 3));
    res.write(body.subarray(3));
    res.end();
  });
  await p.route([echo.endpoint]);
  const parts = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ijklmnop')];
  const r = await call(p.port, { method: 'POST', body: parts });
  assert.equal(echo.seen[0]?.headers['transfer-encoding'], 'chunked');
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.body.toString(), 'abcdefghijklmnop');
  // Trailers and chunk extensions pass through, and the next request on the connection is found.
  const c = await RawClient.open(p.port);
  c.write('POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n' + get('/after'));
  assert.equal((await c.read()).body.toString(), 'abc');
  assert.equal((await c.read()).status, 200);
  assert.equal(echo.seen[2]?.url, '/after');
  c.close();
});

test('streaming download: bytes arrive before the response ends', async (t) => {
  const p = await setupProxy(t);
  let finish: () => void = () => undefined;
  const slow = await p.backend('slow', (_req, res) => {
    res.write('first-part;');
    finish = () => res.end('rest');
  });
  await p.route([slow.endpoint]);
  const got = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: p.port, path: '/', agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (text === 'first-part;') finish();
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(got, 'first-part;rest');
});

test('1 MiB upload and download arrive intact', async (t) => {
  const p = await setupProxy(t);
  const payload = randomBytes(1024 * 1024);
  const echo = await p.backend('echo', (_req, res, body) => res.end(body));
  await p.route([echo.endpoint]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < payload.length; i += 100_000) chunks.push(payload.subarray(i, i + 100_000));
  const r = await call(p.port, { method: 'PUT', body: chunks, headers: { 'content-length': String(payload.length) } });
  assert.equal(sha(echo.seen[0]?.body ?? Buffer.alloc(0)), sha(payload));
  assert.equal(sha(r.body), sha(payload));
  const s = p.stats();
  assert.ok(s.bytesIn > payload.length && s.bytesOut > payload.length);
});

test('keep-alive and pipelined requests on one client connection go round robin per request', async (t) => {
  const p = await setupProxy(t);
  const bs = [await p.backend('a'), await p.backend('b'), await p.backend('c')];
  await p.route(bs.map((b) => b.endpoint));
  const c = await RawClient.open(p.port);
  c.write(get('/1') + get('/2') + get('/3') + get('/4') + get('/5') + get('/6'));
  const names: string[] = [];
  for (let i = 0; i < 6; i++) names.push((await c.read()).body.toString());
  assert.deepEqual(names, ['a', 'b', 'c', 'a', 'b', 'c']);
  c.write(get('/7'));
  assert.equal((await c.read()).body.toString(), 'a');
  assert.deepEqual(bs.map((b) => b.seen.map((s) => s.url)), [['/1', '/4', '/7'], ['/2', '/5'], ['/3', '/6']]);
  c.close();
});

test('HEAD, 204 and 304 responses have no body and the connection stays in sync', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b', (req, res) => {
    if (req.url === '/204') res.writeHead(204).end();
    else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end();
    else res.writeHead(200, { 'content-length': '5' }).end(req.method === 'HEAD' ? undefined : 'hello');
  });
  await p.route([b.endpoint]);
  const c = await RawClient.open(p.port);
  c.write(`HEAD / HTTP/1.1\r\nHost: x\r\n\r\n${get('/204')}${get('/304')}${get('/')}`);
  const head = await c.read(true);
  assert.equal(head.headers.get('content-length'), '5');
  assert.equal((await c.read()).status, 204);
  assert.equal((await c.read()).status, 304);
  const last = await c.read();
  assert.equal(last.body.toString(), 'hello');
  c.close();
});

test('hop-by-hop headers are stripped both ways; X-Forwarded-For is appended', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b', (_req, res) => {
    res.setHeader('x-hop', '1');
    res.setHeader('connection', 'keep-alive, x-hop');
    res.setHeader('x-end', 'kept');
    res.end('ok');
  });
  await p.route([b.endpoint]);
  const c = await RawClient.open(p.port);
  c.write(
    'GET / HTTP/1.1\r\nHost: api\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\n' +
      'X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Host: outer\r\nX-Forwarded-Proto: https\r\nForwarded: for=10.0.0.1\r\n\r\n',
  );
  const r = await c.read();
  assert.equal(r.body.toString(), 'ok');
  assert.equal(r.headers.get('x-hop'), undefined);
  assert.equal(r.headers.get('keep-alive'), undefined);
  assert.equal(r.headers.get('connection'), undefined);
  assert.equal(r.headers.get('x-end'), 'kept');
  const h = b.seen[0]?.headers ?? {};
  for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-connection']) assert.equal(h[name], undefined, name);
  assert.equal(h['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
  assert.equal(h['x-forwarded-host'], 'outer');
  assert.equal(h['x-forwarded-proto'], 'https');
  assert.equal(h.forwarded, 'for=10.0.0.1');
  // The client asked for keep-alive: the connection still works.
  c.write(get());
  assert.equal((await c.read()).status, 200);
  c.close();
});

test('Connection: close from the client is honoured; the upstream connection stays pooled', async (t) => {
  const p = await setupProxy(t);
  const b = await p.backend('b');
  await p.route([b.endpoint]);
  for (let i = 0; i < 3; i++) {
    const c = await RawClient.open(p.port);
    c.write(get('/', 'Connection: close\r\n'));
    const r = await c.read();
    assert.equal(r.headers.get('connection'), 'close');
    await c.closed;
  }
  assert.equal(b.seen[0]?.headers.connection, undefined);
  assert.equal(await b.connections(), 1);
  assert.equal(p.stats().http?.upstreamConnections, 1);
});

test('Expect: 100-continue is forwarded and the 100 Continue relayed', async (t) => {
  const p = await setupProxy(t);
  const echo = await p.backend('echo', (_req, res, body) => res.end(body));
  await p.route([echo.endpoint]);
  const result = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
    let continued = false;
    const req = request({ host: '127.0.0.1', port: p.port, method: 'POST', path: '/', agent: false, headers: { expect: '100-continue', 'content-length': '4' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ continued, body }));
    });
    req.on('continue', () => {
      continued = true;
      req.end('data');
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.deepEqual(result, { continued: true, body: 'data' });
  assert.equal(echo.seen[0]?.headers.expect, '100-continue');
});

test('503 with a JSON body when no endpoint is left', async (t) => {
  const p = await setupProxy(t);
  await p.route([]);
  const c = await RawClient.open(p.port);
  c.write(get() + get());
  for (let i = 0; i < 2; i++) {
    const r = await c.read();
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(r.body.toString()), { message: `no healthy instance of svc on port ${p.port}`, status: 'error' });
  }
  c.close();
  assert.equal(p.stats().noEndpointTotal, 2);
  assert.equal(p.stats().http?.responses['5xx'], 2);
});

test('connect failures are retried on the next endpoints: no request fails', async (t) => {
  const p = await setupProxy(t);
  const live = await p.backend('live');
  await p.route([deadEndpoint(await freePort()), deadEndpoint(await freePort()), live.endpoint]);
  const results = await Promise.all(Array.from({ length: 9 }, () => call(p.port, {})));
  assert.deepEqual(results.map((r) => `${r.status} ${r.body.toString()}`), Array(9).fill('200 live'));
  assert.ok((p.stats().http?.errors.connect ?? 0) >= 2);
  assert.equal(p.stats().http?.responses['5xx'], 0);
});

test('all endpoints failing to connect: 503', async (t) => {
  const p = await setupProxy(t);
  await p.route([deadEndpoint(await freePort()), deadEndpoint(await freePort())]);
  const r = await call(p.port, {});
  assert.equal(r.status, 503);
  assert.match(r.body.toString(), /no healthy instance of svc/);
});

test('passive outlier detection: an endpoint answering 5xx five times in a row is skipped, never all of them', async (t) => {
  const p = await setupProxy(t);
  const bad = await p.backend('bad', (_req, res) => res.writeHead(500).end('bad'));
  const good = await p.backend('good');
  await p.route([bad.endpoint, good.endpoint]);
  const c = await RawClient.open(p.port);
  const seen: string[] = [];
  for (let i = 0; i < 20; i++) {
    c.write(get());
    seen.push((await c.read()).body.toString());
  }
  assert.equal(seen.filter((s) => s === 'bad').length, 5);
  assert.deepEqual(seen.slice(10), Array(10).fill('good'));
  const s = p.stats().http;
  assert.equal(s?.ejections, 1);
  assert.ok((s?.endpoints.find((e) => e.key === bad.endpoint.key)?.ejectedUntilMs ?? 0) > Date.now());
  // With only the ejected endpoint left, it still gets the traffic.
  await p.route([bad.endpoint]);
  c.write(get());
  assert.equal((await c.read()).body.toString(), 'bad');
  c.close();
});
