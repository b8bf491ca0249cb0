import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { systemClock } from '../../../src/core/index.js';
import { FrontendSet, type ProxyRoute } from '../../../src/proxy/frontend-set.js';
import type { EndpointPicker } from '../../../src/proxy/forwarder.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';
import { closesWithin, deadEndpoint, exchange, freePort, open, roundRobin, frontendSetFixture, type Backend } from './proxy-harness.js';

function routes(port: number, picker: EndpointPicker, mode = 'tcp'): Map<number, ProxyRoute> {
  return new Map([[port, { picker, mode }]]);
}

const setup = frontendSetFixture;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('moves large payloads both ways, with half-close, and counts bytes', async (t) => {
  const { set, backend, statsOf } = await setup(t);
  const echo = await backend('echo');
  const port = await freePort();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  const payload = randomBytes(8 * 1024 * 1024);
  const [a, b] = await Promise.all([exchange(port, payload), exchange(port, payload)]);
  assert.equal(sha(a), sha(payload));
  assert.equal(sha(b), sha(payload));
  await eventually(() => assert.equal(statsOf(port).connectionsActive, 0));
  const s = statsOf(port);
  assert.equal(s.state, 'listening');
  assert.equal(s.connectionsTotal, 2);
  assert.equal(s.bytesIn, 2 * payload.length);
  assert.equal(s.bytesOut, 2 * payload.length);
  const e = s.endpoints[0];
  assert.ok(e);
  assert.deepEqual([e.key, e.connectionsTotal, e.connectionsActive, e.connectErrors, e.bytesIn, e.bytesOut], [echo.endpoint.key, 2, 0, 0, 2 * payload.length, 2 * payload.length]);
});

test('round robin: a new endpoint per connection across 3 backends', async (t) => {
  const { set, backend, statsOf } = await setup(t);
  const bs = [await backend({ name: 'a' }), await backend({ name: 'b' }), await backend({ name: 'c' })];
  const port = await freePort();
  await set.apply(routes(port, roundRobin(bs.map((b) => b.endpoint)), 'tcp'));
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push((await exchange(port, 'hi')).toString());
  assert.deepEqual(answers, ['a', 'b', 'c', 'a', 'b', 'c']);
  assert.equal(statsOf(port).mode, 'tcp');
});

test('connect failures fall over to the next endpoint: no client connection fails', async (t) => {
  const { set, backend, statsOf } = await setup(t);
  const live = await backend({ name: 'live' });
  const dead1 = deadEndpoint(await freePort());
  const dead2 = deadEndpoint(await freePort());
  const port = await freePort();
  await set.apply(routes(port, roundRobin([dead1, dead2, live.endpoint])));
  const answers = await Promise.all(Array.from({ length: 9 }, () => exchange(port, 'x')));
  assert.deepEqual(answers.map(String), Array(9).fill('live'));
  const s = statsOf(port);
  assert.ok(s.connectErrors >= 2, `connectErrors ${s.connectErrors}`);
  assert.equal(s.endpoints.find((e) => e.key === live.endpoint.key)?.connectionsTotal, 9);
  assert.equal(s.endpoints.find((e) => e.key === dead1.key)?.connectionsTotal, 0);
});

test('gives up after 3 retries and closes the client', async (t) => {
  const { set, statsOf } = await setup(t);
  const dead = await Promise.all(Array.from({ length: 6 }, async () => deadEndpoint(await freePort())));
  const port = await freePort();
  await set.apply(routes(port, roundRobin(dead)));
  await assert.rejects(exchange(port, 'x'));
  await eventually(() => assert.equal(statsOf(port).connectionsActive, 0));
  assert.equal(statsOf(port).connectErrors, 4);
});

test('no endpoint at all: the client is closed promptly', async (t) => {
  const { set, statsOf } = await setup(t);
  const port = await freePort();
  await set.apply(routes(port, roundRobin([])));
  const c = await open(port);
  assert.equal(await closesWithin(c.closed, 1000), true);
  assert.equal(statsOf(port).noEndpointTotal, 1);
});

test('past maxConnections new connections are closed at once and counted', async (t) => {
  const { set, backend, statsOf } = await setup(t, { maxConnections: 2 });
  const echo = await backend('echo');
  const port = await freePort();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  const c1 = await open(port);
  const c2 = await open(port);
  assert.equal(await c1.roundTrip('one'), 'one');
  assert.equal(await c2.roundTrip('two'), 'two');
  const c3 = await open(port);
  assert.equal(await closesWithin(c3.closed, 1000), true);
  assert.equal(statsOf(port).rejectedTotal, 1);
  c1.socket.destroy();
  await eventually(() => assert.equal(statsOf(port).connectionsActive, 1));
  const c4 = await open(port);
  assert.equal(await c4.roundTrip('four'), 'four');
  assert.equal(await c2.roundTrip('still'), 'still');
});

test('idle connections are closed after clientTimeoutMs and serverIdleTimeoutMs', async (t) => {
  const { set, backend } = await setup(t, { clientTimeoutMs: 200, serverIdleTimeoutMs: 200 });
  const echo = await backend('echo');
  const port = await freePort();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  const c = await open(port);
  assert.equal(await c.roundTrip('x'), 'x');
  assert.equal(await closesWithin(c.closed, 2000), true);
});

test('swapping the picker keeps established connections and sends new ones to the new endpoints', async (t) => {
  const { set, backend, statsOf } = await setup(t);
  const echo = await backend('echo');
  const other = await backend({ name: 'other' });
  const port = await freePort();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  const c = await open(port);
  assert.equal(await c.roundTrip('before'), 'before');
  await set.apply(routes(port, roundRobin([other.endpoint]), 'tcp'));
  assert.equal(await c.roundTrip('after'), 'after');
  assert.equal((await exchange(port, 'x')).toString(), 'other');
  assert.equal(statsOf(port).mode, 'tcp');
  assert.equal(statsOf(port).connectionsActive, 1);
});

test('a removed port stops accepting at once and drains, then closes what is left', async (t) => {
  const { set, backend, statsOf } = await setup(t, { drainTimeoutMs: 400 });
  const echo = await backend('echo');
  const port = await freePort();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  const c = await open(port);
  assert.equal(await c.roundTrip('x'), 'x');
  await set.apply(new Map());
  assert.equal(statsOf(port).state, 'draining');
  assert.equal(statsOf(port).listening, false);
  await assert.rejects(open(port), /ECONNREFUSED/);
  assert.equal(await c.roundTrip('draining'), 'draining');
  assert.equal(await closesWithin(c.closed, 3000), true);
  await eventually(() => assert.equal(set.stats().length, 0));
});

test('a removed port whose connections finish early leaves the stats at once', async (t) => {
  const { set, backend } = await setup(t, { drainTimeoutMs: 60_000 });
  const echo = await backend('echo');
  const port = await freePort();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  const c = await open(port);
  assert.equal(await c.roundTrip('x'), 'x');
  await set.apply(new Map());
  assert.equal(set.stats().length, 1);
  c.socket.end();
  await eventually(() => assert.equal(set.stats().length, 0));
  // A port can come back while the old one drained.
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  assert.equal((await exchange(port, 'back')).toString(), 'back');
});

test('a bind IP not on any interface is logged once with the fix, survived, and retried', async (t) => {
  const { logger, records } = captureLogger();
  const set = new FrontendSet({ bindIp: '10.255.255.1', logger, clock: systemClock });
  t.after(() => set.close());
  const port = await freePort();
  await set.apply(routes(port, roundRobin([])));
  await set.apply(routes(port, roundRobin([])));
  const errors = records.filter((r) => r.level === LEVEL.error);
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.msg ?? '', /ip addr add 10\.255\.255\.1\/32 dev lo/);
  assert.match(errors[0]?.msg ?? '', /--proxy-bind-ip 127\.0\.0\.1/);
  assert.equal(records.filter((r) => r.msg === 'proxy bind retry failed again').length, 1);
  const [s] = set.stats();
  assert.equal(s?.state, 'failed');
  assert.equal(s?.bindError?.errno, 'EADDRNOTAVAIL');
  assert.equal(s?.listening, false);
});

test('a port in use is a failed listener until it is free, then binds on the next apply', async (t) => {
  const { set, records, backend, statsOf } = await setup(t);
  const squatter = await backend({ name: 'squatter' });
  const echo = await backend('echo');
  const port = squatter.endpoint.port;
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  assert.equal(statsOf(port).state, 'failed');
  assert.equal(statsOf(port).bindError?.errno, 'EADDRINUSE');
  assert.ok(records.some((r) => r.level === LEVEL.error && /ss -ltnp/.test(r.msg)));
  await squatter.close();
  await set.apply(routes(port, roundRobin([echo.endpoint])));
  assert.equal(statsOf(port).state, 'listening');
  assert.equal(statsOf(port).bindError, undefined);
  assert.equal((await exchange(port, 'ok')).toString(), 'ok');
});

test('close() closes listeners and connections, leaves nothing open, and is idempotent', async (t) => {
  const { set, backend } = await setup(t);
  const echo = await backend('echo');
  const port1 = await freePort();
  const port2 = await freePort();
  await set.apply(new Map([[port1, { picker: roundRobin([echo.endpoint]), mode: 'tcp' }], [port2, { picker: roundRobin([echo.endpoint]), mode: 'tcp' }]]));
  const c = await open(port1);
  assert.equal(await c.roundTrip('x'), 'x');
  await set.apply(new Map([[port2, { picker: roundRobin([echo.endpoint]), mode: 'tcp' }]])); // port1 drains
  await Promise.all([set.close(), set.close()]);
  assert.equal(await closesWithin(c.closed, 1000), true);
  for (const s of set.stats()) {
    assert.equal(s.state, 'closed');
    assert.equal(s.listening, false);
    assert.equal(s.connectionsActive, 0);
  }
  await assert.rejects(open(port2), /ECONNREFUSED/);
  await set.apply(routes(port1, roundRobin([echo.endpoint])));
  await assert.rejects(open(port1), /ECONNREFUSED/);
  await eventually(async () => assert.equal(await connectCount(echo), 0));
});

function connectCount(b: Backend): Promise<number> {
  return new Promise((resolve, reject) => b.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}
