/**
 * The UI's event stream keeps the watch stream's bounds, on real loopback sockets with a
 * fake clock: a capped number of clients (the next gets 503), heartbeats only while someone
 * listens, "latest wins" per kind while a socket is full (so what is held per client is
 * bounded by the number of kinds), a client over the buffer cap or stalled past the timeout
 * dropped, and nothing left behind.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { FakeClock } from '../../../src/core/index.js';
import { EventStreamHub, type EventStreamHubOptions } from '../../../src/api/event-stream-hub.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLogger, type LogRecord } from '../../helpers/log-capture.js';

interface Fixture {
  hub: EventStreamHub;
  clock: FakeClock;
  records: LogRecord[];
  port: number;
  active: boolean[];
  server: Server;
}

const open: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function start(overrides: Partial<EventStreamHubOptions> = {}): Promise<Fixture> {
  const { logger, records } = captureLogger();
  const clock = new FakeClock();
  const active: boolean[] = [];
  const hub = new EventStreamHub({
    logger,
    clock,
    maxClients: 4,
    maxBufferBytes: 8 * 1024 * 1024,
    stallTimeoutMs: 30_000,
    heartbeatMs: 15_000,
    initial: () => [{ kind: 'hello', data: { n: 0 } }],
    onActive: (a) => active.push(a),
    ...overrides,
  });
  const server = createServer((_req, res) => hub.add(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const fixture = { hub, clock, records, port, active, server };
  open.push({
    close: async () => {
      hub.close();
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return fixture;
}

/** A raw client: sends the request head and collects what comes back. */
async function client(port: number): Promise<{ socket: Socket; text: () => string }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  return { socket, text: () => text };
}

/** The SSE events in a response (after the head): kind and parsed data, comments as `:`. */
function events(raw: string): Array<{ kind: string; data: unknown }> {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/\r\n[0-9a-f]+\r\n/g, '').replace(/^[0-9a-f]+\r\n/, '');
  const out: Array<{ kind: string; data: unknown }> = [];
  for (const block of body.split('\n\n')) {
    if (block.startsWith(':')) out.push({ kind: ':', data: block.slice(1).trim() });
    const m = /^event: (.*)\ndata: (.*)$/s.exec(block);
    if (m !== null) out.push({ kind: m[1] ?? '', data: JSON.parse(m[2] ?? 'null') as unknown });
  }
  return out;
}

describe('EventStreamHub', () => {
  it('streams the initial events and then each published one, as text/event-stream with a retry delay', async () => {
    const f = await start();
    const c = await client(f.port);
    await eventually(() => assert.equal(f.hub.size, 1));
    f.hub.publish('proxy', { rate: 1.5, text: 'line\nbreak' });
    await eventually(() => assert.equal(events(c.text()).length, 2));
    assert.match(c.text(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(c.text(), /content-type: text\/event-stream; charset=utf-8/i);
    assert.match(c.text(), /cache-control: no-cache/i);
    assert.match(c.text(), /retry: 2000\n\n/);
    assert.deepEqual(events(c.text()), [
      { kind: 'hello', data: { n: 0 } },
      { kind: 'proxy', data: { rate: 1.5, text: 'line\nbreak' } },
    ]);
    c.socket.destroy();
  });

  it('serves at most maxClients: the next gets 503 with a clear body, logged; a slot frees when one leaves', async () => {
    const f = await start({ maxClients: 2 });
    const a = await client(f.port);
    const b = await client(f.port);
    await eventually(() => assert.equal(f.hub.size, 2));
    const c = await client(f.port);
    await eventually(() => assert.match(c.text(), /^HTTP\/1\.1 503 /));
    assert.match(c.text(), /already serves 2 \/api\/events clients/);
    assert.match(c.text(), /retry-after: 5/i);
    assert.equal(f.hub.counters.refused, 1);
    assert.ok(f.records.some((r) => r.msg === 'event stream client refused: too many clients'));
    a.socket.destroy();
    await eventually(() => assert.equal(f.hub.size, 1));
    const d = await client(f.port);
    await eventually(() => assert.equal(f.hub.size, 2));
    for (const s of [b, c, d]) s.socket.destroy();
  });

  it('sends heartbeats only while a client is connected; the last one leaving stops the timer', async () => {
    const f = await start();
    assert.equal(f.clock.pendingTimers, 0);
    const c = await client(f.port);
    await eventually(() => assert.equal(f.hub.size, 1));
    assert.deepEqual(f.active, [true]);
    f.clock.advance(15_000);
    f.clock.advance(15_000);
    await eventually(() => assert.equal(events(c.text()).filter((e) => e.kind === ':').length, 2));
    c.socket.destroy();
    await eventually(() => assert.equal(f.hub.size, 0));
    assert.deepEqual(f.active, [true, false]);
    assert.equal(f.clock.pendingTimers, 0, 'no heartbeat timer left');
  });

  it('while a socket is full, only the newest event of each kind waits, and goes out in order on drain', async () => {
    const f = await start();
    const c = await client(f.port);
    await eventually(() => assert.equal(f.hub.size, 1));
    // One event larger than the response's buffer: the write reports backpressure at once,
    // so everything published in the same turn is held.
    const big = 'x'.repeat(1024 * 1024);
    f.hub.publish('services', { v: 1, big });
    assert.equal(f.hub.stats()[0]?.backpressured, true);
    for (let v = 2; v <= 10; v++) f.hub.publish('services', { v, big });
    f.hub.publish('proxy', { v: 1 });
    f.hub.publish('services', { v: 11 });
    const stats = f.hub.stats()[0];
    assert.equal(stats?.eventsReplaced, 9, 'services 2…10 replaced one another, then 11 replaced 10');
    assert.ok((stats?.bufferedBytes ?? 0) < 2 * 1024 * 1024, `held per client is bounded: ${stats?.bufferedBytes} bytes`);
    await eventually(() => assert.equal(events(c.text()).length, 4), { timeoutMs: 5000 });
    const got = events(c.text()).map((e) => [e.kind, (e.data as { v?: number }).v]);
    assert.deepEqual(got, [
      ['hello', undefined],
      ['services', 1],
      ['proxy', 1],
      ['services', 11],
    ]);
    assert.equal(f.hub.stats()[0]?.backpressured, false);
    c.socket.destroy();
  });

  it('drops a client with more than maxBufferBytes queued at once, and one whose socket stays full past the stall timeout', async () => {
    const f = await start({ maxBufferBytes: 256 * 1024, stallTimeoutMs: 5000 });
    const greedy = await client(f.port);
    greedy.socket.pause();
    await eventually(() => assert.equal(f.hub.size, 1));
    f.hub.publish('services', { big: 'x'.repeat(16 * 1024 * 1024) });
    assert.equal(f.hub.size, 0, 'dropped at once');
    assert.equal(f.hub.counters.dropped, 1);
    const drop = f.records.find((r) => r.msg === 'event stream client dropped: it does not read its stream');
    assert.match(String(drop?.['reason']), /more than 262144 bytes queued/);
    greedy.socket.destroy();

    const f2 = await start({ maxBufferBytes: 64 * 1024 * 1024, stallTimeoutMs: 5000 });
    const stalled = await client(f2.port);
    stalled.socket.pause();
    await eventually(() => assert.equal(f2.hub.size, 1));
    // Fill the kernel's buffers for this socket until a write stays unflushed.
    for (let i = 0; i < 64 && !(f2.hub.stats()[0]?.backpressured === true && (f2.hub.stats()[0]?.bufferedBytes ?? 0) > 0); i++) {
      f2.hub.publish(`k${i % 4}`, { big: 'x'.repeat(1024 * 1024) });
      await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(() => assert.equal(f2.hub.stats()[0]?.backpressured, true));
    f2.clock.advance(4000);
    assert.equal(f2.hub.size, 1, 'kept before the timeout');
    f2.clock.advance(1100);
    assert.equal(f2.hub.size, 0, 'dropped after it');
    const stallDrop = f2.records.find((r) => r.msg === 'event stream client dropped: it does not read its stream');
    assert.match(String(stallDrop?.['reason']), /stayed full for 5000 ms/);
    assert.equal(f2.clock.pendingTimers, 0, 'no stall or heartbeat timer left');
    stalled.socket.destroy();
  });

  it('close() ends every stream, refuses new clients and is idempotent', async () => {
    const f = await start();
    const c = await client(f.port);
    await eventually(() => assert.equal(f.hub.size, 1));
    f.hub.close();
    f.hub.close();
    assert.equal(f.hub.size, 0);
    await eventually(() => assert.match(c.text(), /0\r\n\r\n$/), { timeoutMs: 2000 });
    assert.equal(f.clock.pendingTimers, 0);
    const late = await client(f.port);
    await new Promise<void>((resolve) => late.socket.once('close', () => resolve()));
    assert.doesNotMatch(late.text(), /200 OK/, 'a client after close() gets no stream');
    assert.equal(f.hub.size, 0);
    c.socket.destroy();
  });
});
