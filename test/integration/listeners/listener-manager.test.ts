import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock, silentLogger } from '../../../src/core/index.js';
import type { ChangeEvent } from '../../../src/catalog/index.js';
import { ListenerManager } from '../../../src/listeners/index.js';
import { makeService, ts } from '../../helpers/catalog.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLogger } from '../../helpers/log-capture.js';

/** A loopback server that records the bodies POSTed to it. */
async function endpoint(t: TestContext): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sidecar/update`, bodies };
}

const event = (n: number): ChangeEvent => ({ service: makeService(), previousStatus: n, time: ts('2023-11-14T10:21:34.5Z') });

function manager(t: TestContext, staticUrls: string[]): ListenerManager {
  const m = new ListenerManager({
    hostname: 'node-1',
    clock: new FakeClock(),
    logger: silentLogger(),
    staticUrls,
    body: (e) => `{"n":${e.previousStatus}}`,
  });
  t.after(() => m.close());
  return m;
}

test('static listeners are named UrlListener(<url>), deduplicated and never removed by sync', async (t) => {
  const s = await endpoint(t);
  const m = manager(t, [s.url, s.url]);
  m.sync([]);
  assert.deepEqual(m.names(), [], 'nothing before start');
  m.start();
  m.sync([]);
  assert.deepEqual(m.names(), [`UrlListener(${s.url})`]);
  m.notify(event(1));
  await eventually(() => assert.deepEqual(s.bodies, ['{"n":1}']));
});

test('sync adds discovered listeners, removes the ones no longer discovered, replaces a changed URL', async (t) => {
  const s = await endpoint(t);
  const a = await endpoint(t);
  const b = await endpoint(t);
  const m = manager(t, [s.url]);
  m.start();

  m.sync([{ name: 'Service(a-1)', url: a.url }, { name: 'Service(b-2)', url: b.url }]);
  assert.deepEqual(m.names(), [`UrlListener(${s.url})`, 'Service(a-1)', 'Service(b-2)']);
  m.notify(event(0));
  await eventually(() => assert.equal(s.bodies.length + a.bodies.length + b.bodies.length, 3));

  m.sync([{ name: 'Service(b-2)', url: b.url }]);
  assert.deepEqual(m.names(), [`UrlListener(${s.url})`, 'Service(b-2)']);
  m.notify(event(1));
  await eventually(() => assert.deepEqual(b.bodies, ['{"n":0}', '{"n":1}']));
  assert.deepEqual(a.bodies, ['{"n":0}'], 'a removed listener gets nothing more');
  assert.deepEqual(s.bodies, ['{"n":0}', '{"n":1}']);

  // The same name at another URL: the listener is replaced.
  m.sync([{ name: 'Service(b-2)', url: a.url }]);
  m.notify(event(2));
  await eventually(() => assert.deepEqual(a.bodies, ['{"n":0}', '{"n":2}']));
  assert.deepEqual(b.bodies, ['{"n":0}', '{"n":1}']);
  assert.deepEqual(
    m.list().map((l) => [l.name, l.managed]),
    [
      [`UrlListener(${s.url})`, false],
      ['Service(b-2)', true],
    ],
  );
});

test('close stops every listener and later calls do nothing', async (t) => {
  const s = await endpoint(t);
  const m = manager(t, [s.url]);
  m.start();
  m.sync([{ name: 'Service(a-1)', url: s.url }]);
  await Promise.all([m.close(), m.close()]);
  assert.deepEqual(m.names(), []);
  m.notify(event(1));
  m.sync([{ name: 'Service(a-1)', url: s.url }]);
  assert.deepEqual(m.names(), []);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(s.bodies, []);
});

test('listener URLs are logged without their credentials', async (t) => {
  const { logger, records } = captureLogger();
  const m = new ListenerManager({
    hostname: 'node-1',
    clock: new FakeClock(),
    logger,
    staticUrls: ['http://user:hunter2@127.0.0.1:9/hook?token=abc'],
    body: () => '{}',
  });
  t.after(() => m.close());
  m.start();
  m.sync([{ name: 'Service(web-1)', url: 'http://127.0.0.1:9/x?token=def' }]);
  const text = JSON.stringify(records);
  assert.ok(records.length >= 2);
  for (const secret of ['hunter2', 'abc', 'def']) assert.ok(!text.includes(secret), `${secret} is not logged`);
});
