import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, FakeClock, silentLogger, systemClock, type Clock, type Logger } from '../../../src/core/index.js';
import { ServiceStatus, type ChangeEvent } from '../../../src/catalog/index.js';
import { UrlListener } from '../../../src/listeners/index.js';
import { encodeStateChangedEvent } from '../../../src/catalog/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';
import { eventually } from '../../helpers/eventually.js';
import { LEVEL, captureLogger } from '../../helpers/log-capture.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the test server does with request number `n` (0-based): a status, or hold it open. */
type Responder = (n: number, res: ServerResponse) => number | 'hold';

async function startServer(t: TestContext, respond: Responder = () => 200): Promise<{ url: string; received: Received[]; held: ServerResponse[] }> {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = respond(n, res);
      if (status === 'hold') held.push(res);
      else res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/sidecar/update`, received, held };
}

function event(previousStatus: number, id = 'deadbeef123'): ChangeEvent {
  return { service: makeService({ id }), previousStatus, time: ts('2023-11-14T10:21:34.5Z') };
}

function listener(
  t: TestContext,
  url: string,
  options: { clock?: Clock; logger?: Logger; retries?: number; body?: (e: ChangeEvent) => string } = {},
): UrlListener {
  const { state } = makeState();
  state.addServiceEntry(makeService());
  const l = new UrlListener({
    name: `UrlListener(${url})`,
    url,
    hostname: 'node-1',
    clock: options.clock ?? new FakeClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
    logger: options.logger ?? silentLogger(),
    body: options.body ?? ((e) => encodeStateChangedEvent(state, e)),
    ...(options.retries === undefined ? {} : { retries: options.retries }),
  });
  t.after(() => l.close());
  l.start();
  return l;
}

test('POSTs the StateChangedEvent with Go key order, JSON content type and the session cookie', async (t) => {
  const { url, received } = await startServer(t);
  const clock = new FakeClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  const l = listener(t, url, { clock });
  assert.equal(l.notify(event(ServiceStatus.UNKNOWN)), true);
  await eventually(() => assert.equal(received.length, 1));
  const [req] = received;
  assert.ok(req !== undefined);
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/sidecar/update');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers.cookie, 'sidecar-session-host="node-1-2026-01-02 03:04:05.678 +0000 UTC"');
  assert.match(req.body, /^\{"State":\{"Servers":\{"chaucer":\{"Name":"chaucer","Services":\{"deadbeef123":\{"ID":"deadbeef123","Name":"bocaccio",/);
  assert.match(req.body, /"ClusterName":"default","Hostname":"chaucer"\},"ChangeEvent":\{"Service":\{"ID":"deadbeef123",.*"Status":0\},"PreviousStatus":3,"Time":"2023-11-14T10:21:34.5Z"\}\}$/);
  await eventually(() => assert.deepEqual(l.stats, { posted: 1, failed: 0, dropped: 0 }));
  await eventually(() => assert.equal(clock.pendingTimers, 0, 'the attempt timer ends with the answer'));
});

test('events are posted one at a time, in order; the body is built when the event is taken', async (t) => {
  const { url, received } = await startServer(t);
  let built = 0;
  const l = listener(t, url, { body: (e) => `{"n":${built++},"prev":${e.previousStatus}}` });
  for (const status of [0, 1, 2, 3, 4]) l.notify(event(status));
  await eventually(() => assert.equal(received.length, 5));
  assert.deepEqual(received.map((r) => JSON.parse(r.body) as unknown), [0, 1, 2, 3, 4].map((n) => ({ n, prev: n })));
});

test('a server that fails twice then succeeds receives the same full body three times', async (t) => {
  const { url, received } = await startServer(t, (n) => (n < 2 ? 503 : 204));
  const l = listener(t, url);
  l.notify(event(ServiceStatus.UNKNOWN));
  await eventually(() => assert.deepEqual(l.stats, { posted: 1, failed: 0, dropped: 0 }));
  assert.equal(received.length, 3);
  assert.ok((received[0]?.body.length ?? 0) > 100);
  assert.ok(received.every((r) => r.body === received[0]?.body && r.headers['content-length'] === String(Buffer.byteLength(r.body))));
});

test('after 6 failed attempts (Go pauses 0,0,100,200,300,400 ms) the failure is logged with the URL, nothing thrown', async (t) => {
  const { url, received } = await startServer(t, () => 500);
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const l = listener(t, url, { clock, logger });
  l.notify(event(ServiceStatus.UNKNOWN));
  await eventually(() => assert.equal(received.length, 3), { timeoutMs: 2000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(received.length, 3, 'third pause (100 ms) waits for the clock');
  const failure = await eventually(() => {
    clock.advance(100);
    const found = records.find((r) => r.level === LEVEL.warn && r['code'] === ErrorCode.LISTENER_POST_FAILED);
    assert.ok(found);
    return found;
  });
  assert.equal(received.length, 6);
  assert.match(failure.msg, new RegExp(`failed posting state to ${url.replace(/[.]/g, '\\.')} after 6 attempts`));
  assert.match(String(failure['err']), /bad status code returned \(500\)/);
  assert.deepEqual(l.stats, { posted: 0, failed: 1, dropped: 0 });
});

test('an attempt that gets no answer within the timeout fails', async (t) => {
  const { url, received, held } = await startServer(t, () => 'hold');
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const l = listener(t, url, { clock, logger, retries: 0 });
  l.notify(event(ServiceStatus.UNKNOWN));
  await eventually(() => assert.equal(received.length, 1));
  clock.advance(2999);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(l.stats.failed, 0);
  clock.advance(1);
  await eventually(() => assert.equal(l.stats.failed, 1));
  assert.match(String(records.find((r) => r['code'] === ErrorCode.LISTENER_POST_FAILED)?.['err']), /no answer within 3000 ms/);
  for (const res of held) res.end();
});

test('a full buffer (20 waiting + 1 in flight) drops new events with a warning and never blocks', async (t) => {
  const { url, received, held } = await startServer(t, (n) => (n === 0 ? 'hold' : 200));
  const { logger, records } = captureLogger();
  const l = listener(t, url, { logger, clock: systemClock });
  l.notify(event(0, 'first0000000'));
  await eventually(() => assert.equal(received.length, 1));
  const accepted = Array.from({ length: 22 }, (_, i) => l.notify(event(i % 5, `queued${String(i).padStart(6, '0')}`)));
  assert.deepEqual(accepted, [...Array<boolean>(20).fill(true), false, false]);
  assert.equal(l.stats.dropped, 2);
  const drops = records.filter((r) => r.level === LEVEL.warn && /buffer full/.test(r.msg));
  assert.equal(drops.length, 2);
  assert.equal(drops[0]?.['id'], 'queued000020');
  held[0]?.writeHead(200).end();
  await eventually(() => assert.equal(l.stats.posted, 21));
  const ids = received.map((r) => (JSON.parse(r.body) as { ChangeEvent: { Service: { ID: string } } }).ChangeEvent.Service.ID);
  assert.deepEqual(ids, ['first0000000', ...Array.from({ length: 20 }, (_, i) => `queued${String(i).padStart(6, '0')}`)]);
});

test('close aborts the request in flight, drops the buffer and is idempotent', async (t) => {
  const { url, received } = await startServer(t, () => 'hold');
  const l = listener(t, url, { clock: systemClock });
  l.notify(event(0));
  l.notify(event(1));
  await eventually(() => assert.equal(received.length, 1));
  const started = Date.now();
  await Promise.all([l.close(), l.close()]);
  assert.ok(Date.now() - started < 1000, 'close does not wait for the 3 s timeout');
  assert.equal(l.notify(event(2)), false);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(received.length, 1);
  assert.deepEqual(l.stats, { posted: 0, failed: 0, dropped: 0 });
});

test('an unusable URL is logged once with its code and the listener stays idle', async (t) => {
  const { logger, records } = captureLogger();
  const l = listener(t, 'ftp://example.com/x', { logger });
  assert.equal(l.notify(event(0)), false);
  const errors = records.filter((r) => r.level === LEVEL.error);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.['code'], ErrorCode.LISTENER_BAD_URL);
  assert.match(errors[0]?.msg ?? '', /ftp:\/\/example\.com\/x/);
  const bad = listener(t, 'not a url', { logger });
  assert.equal(bad.notify(event(0)), false);
});

test('cookies set by the endpoint (sticky load balancers) are sent back', async (t) => {
  const { url, received } = await startServer(t, (_n, res) => {
    res.setHeader('Set-Cookie', 'SERVERID=backend-2; Path=/');
    return 200;
  });
  const l = listener(t, url);
  l.notify(event(0));
  await eventually(() => assert.equal(l.stats.posted, 1));
  l.notify(event(1));
  await eventually(() => assert.equal(received.length, 2));
  assert.equal(received[1]?.headers.cookie, 'sidecar-session-host="node-1-2026-01-02 03:04:05.678 +0000 UTC"; SERVERID=backend-2');
});
