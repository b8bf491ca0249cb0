/**
 * `GET /api/events` on a real API server over the golden state: the UI's server-sent events
 * (members, services with checks, timeline, then pushes on change), its 503 over the cap
 * shared with /watch, and the proxy snapshot while a client is connected.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { ProxyStatus } from '../../../src/proxy/index.js';
import { eventually } from '../../helpers/eventually.js';
import { makeService } from '../../helpers/catalog.js';
import { fetchRaw, startApi } from './fixture.js';

async function openEvents(port: number): Promise<{ socket: Socket; text: () => string }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let text = '';
  socket.setEncoding('utf8').on('data', (c: string) => (text += c));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  return { socket, text: () => text };
}

/** `[kind, data]` of every event in a raw (chunked) response. */
function events(raw: string): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const m of raw.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)) out.push([m[1] ?? '', JSON.parse(m[2] ?? 'null') as unknown]);
  return out;
}

describe('GET /api/events', () => {
  it('sends members, services and the timeline at once, then pushes a drain as services and timeline events', async () => {
    const fx = await startApi();
    try {
      const c = await openEvents(fx.port);
      await eventually(() => assert.deepEqual(events(c.text()).map((e) => e[0]), ['members', 'services', 'timeline']));
      assert.match(c.text(), /content-type: text\/event-stream/i);
      const services = events(c.text())[1]?.[1] as { local: string; services: Array<{ name: string }> };
      assert.equal(services.local, 'chaucer');
      assert.deepEqual(services.services.map((s) => s.name), ['a.b', 'bocaccio', 'dante', 'shakespeare']);
      const drain = await fetchRaw(fx.port, 'POST', '/api/services/deadbeef123/drain');
      assert.equal(drain.status, 202);
      await eventually(() => assert.ok(events(c.text()).some(([kind, data]) => kind === 'timeline' && JSON.stringify(data).includes('"kind":"drain"'))));
      const timeline = events(c.text()).filter((e) => e[0] === 'timeline').at(-1)?.[1] as Array<Record<string, unknown>>;
      assert.deepEqual(timeline.at(-1), { ...timeline.at(-1), kind: 'drain', host: 'chaucer', subject: 'bocaccio', id: 'deadbeef123', from: 'ALIVE', to: 'DRAINING' });
      c.socket.destroy();
    } finally {
      await fx.close();
    }
  });

  it('under churn, sends at most one set of documents per 250 ms', async () => {
    const fx = await startApi();
    try {
      const c = await openEvents(fx.port);
      const sent = (): number => events(c.text()).filter((e) => e[0] === 'services').length;
      await eventually(() => assert.equal(sent(), 1));
      fx.state.addServiceEntry(makeService({ id: 'churn1', name: 'churn', updated: fx.stamps.now() }));
      await eventually(() => assert.equal(sent(), 2), { timeoutMs: 2000 });
      fx.state.addServiceEntry(makeService({ id: 'churn2', name: 'churn', updated: fx.stamps.now() }));
      fx.state.addServiceEntry(makeService({ id: 'churn3', name: 'churn', updated: fx.stamps.now() }));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(sent(), 2, 'held back');
      fx.clock.advance(250);
      await eventually(() => assert.equal(sent(), 3));
      assert.match(c.text().slice(c.text().lastIndexOf('event: services')), /churn2.*churn3/s, 'both changes in one document');
      c.socket.destroy();
    } finally {
      await fx.close();
    }
  });

  it('shares the /watch cap (--api-max-watchers): the client over it gets 503', async () => {
    const fx = await startApi({ extra: { maxWatchers: 1 } });
    try {
      const c = await openEvents(fx.port);
      await eventually(() => assert.ok(events(c.text()).length >= 1));
      const over = await fetchRaw(fx.port, 'GET', '/api/events');
      assert.equal(over.status, 503);
      assert.match(over.body, /already serves 1 \/api\/events clients/);
      c.socket.destroy();
    } finally {
      await fx.close();
    }
  });

  it('resends services once a second when a check\'s result or reason changed without a status change', async () => {
    let version = 1;
    let reason = 'HTTP 500 from http://127.0.0.1:9/health';
    const checks = () => [{ id: 'deadbeef123', type: 'HttpGet', args: '', status: 2 as const, state: 'FAILED' as const, lastError: reason, consecutiveFailures: 1, lastResult: 'sickly' as const, lastRunMs: 1 }];
    const fx = await startApi({ extra: { ui: { checks, checksVersion: () => version } } });
    try {
      const c = await openEvents(fx.port);
      const reasons = (): string[] => events(c.text()).filter((e) => e[0] === 'services').map((e) => (JSON.stringify(e[1]).match(/"reason":"([^"]*)"/) ?? [])[1] ?? '');
      await eventually(() => assert.deepEqual(reasons(), ['HTTP 500 from http://127.0.0.1:9/health']));
      fx.clock.advance(1000);
      await new Promise((r) => setImmediate(r));
      assert.equal(reasons().length, 1, 'nothing changed: nothing resent');
      reason = 'HTTP 503 from http://127.0.0.1:9/health';
      version++;
      fx.clock.advance(1000);
      await eventually(() => assert.deepEqual(reasons(), ['HTTP 500 from http://127.0.0.1:9/health', 'HTTP 503 from http://127.0.0.1:9/health']));
      c.socket.destroy();
    } finally {
      await fx.close();
    }
  });

  it('asks the load balancer for a snapshot only while a client is connected', async () => {
    let asked = 0;
    const status = { bindIp: '127.0.0.9', routes: [], draining: [], collisions: [], excluded: [], connectionBudget: null } as unknown as ProxyStatus;
    const fx = await startApi({ extra: { proxyStatus: () => (asked++, Promise.resolve(status)) } });
    try {
      assert.equal(asked, 0);
      const c = await openEvents(fx.port);
      await eventually(() => assert.ok(events(c.text()).some(([kind]) => kind === 'proxy')));
      const proxy = events(c.text()).find(([kind]) => kind === 'proxy')?.[1];
      assert.deepEqual(proxy, { bindIp: '127.0.0.9', windowMs: 0, ports: [] });
      fx.clock.advance(1000);
      await eventually(() => assert.equal(asked, 2));
      c.socket.destroy();
      await eventually(() => assert.equal(fx.clock.pendingTimers, 0, 'the snapshot timer stops with the last client'));
      fx.clock.advance(5000);
      assert.equal(asked, 2);
    } finally {
      await fx.close();
    }
  });

  it("takes the UI's own status source when given one (the fast path's rules are read back for /api/proxy.json only)", async () => {
    const asked = { api: 0, ui: 0 };
    const status = { bindIp: '127.0.0.9', routes: [], draining: [], collisions: [], excluded: [], connectionBudget: null } as unknown as ProxyStatus;
    const fx = await startApi({
      extra: {
        proxyStatus: () => (asked.api++, Promise.resolve(status)),
        ui: { proxyStatus: () => (asked.ui++, Promise.resolve(status)) },
      },
    });
    try {
      const c = await openEvents(fx.port);
      await eventually(() => assert.ok(events(c.text()).some(([kind]) => kind === 'proxy')));
      assert.deepEqual(asked, { api: 0, ui: 1 });
      assert.equal((await fetchRaw(fx.port, 'GET', '/api/proxy.json')).status, 200);
      assert.deepEqual(asked, { api: 1, ui: 1 });
      c.socket.destroy();
    } finally {
      await fx.close();
    }
  });
});
