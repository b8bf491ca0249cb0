import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { systemClock } from '../../../src/core/index.js';
import { ConnectionBudget } from '../../../src/proxy/index.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { eventually } from '../../helpers/eventually.js';
import { RawClient, get, setupProxy } from './http/http-harness.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

test('over the budget, HTTP clients get a 503 at once and are counted; under it they are served', async (t) => {
  const { logger, records } = captureLogger();
  const budget = new ConnectionBudget({ maxConnections: 4, logger, clock: systemClock });
  const p = await setupProxy(t, { budget });
  const b = await p.backend('b');
  await p.route([b.endpoint]);
  // One exchange leaves a pooled idle upstream connection behind (1 fd of the 8).
  const warm = await RawClient.open(p.port);
  warm.write(get());
  assert.equal((await warm.read()).status, 200);
  warm.close();
  await eventually(() => assert.deepEqual([budget.stats().connections, budget.stats().idleUpstreams], [0, 1]));
  const held = [];
  for (let i = 0; i < 4; i++) held.push(await RawClient.open(p.port));
  for (const c of held) c.write(get());
  for (const c of held) assert.equal((await c.read()).status, 200);
  const over = await RawClient.open(p.port);
  over.write(get());
  const r = await over.read();
  assert.equal(r.status, 503);
  await over.closed;
  assert.equal(budget.stats().rejectedTotal, 1);
  assert.equal(records.filter((l) => l['code'] === 'SC_ERR_PROXY_FD_BUDGET').length, 1);
  // Idle pooled upstream connections were given up for the clients (4 clients = 8 fds = all of it).
  assert.equal(budget.stats().connections, 4);
  assert.ok(budget.stats().idleUpstreams === 0, `idle upstreams ${budget.stats().idleUpstreams}`);
  held[0]?.close();
  await eventually(() => assert.equal(budget.stats().connections, 3));
  const next = await RawClient.open(p.port);
  next.write(get());
  assert.equal((await next.read()).status, 200);
  for (const c of [...held, next]) c.close();
  await eventually(() => assert.equal(budget.stats().connections, 0));
});

test('over the budget, TCP clients are closed at once; pooled idle connections give way to new clients', async (t) => {
  const { logger } = captureLogger();
  const budget = new ConnectionBudget({ maxConnections: 3, logger, clock: systemClock });
  const p = await setupProxy(t, { budget });
  const b = await p.backend('b');
  await p.route([b.endpoint], 'tcp');
  const sockets = await Promise.all(Array.from({ length: 8 }, () => open(p.port)));
  const closed = await Promise.all(
    sockets.map((s) => new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      s.on('error', () => undefined);
      s.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    })),
  );
  assert.equal(closed.filter(Boolean).length, 5, 'five of eight closed at once');
  assert.equal(budget.stats().rejectedTotal, 5);
  assert.equal(budget.stats().connections, 3);
  for (const s of sockets) s.destroy();
  await eventually(() => assert.equal(budget.stats().connections, 0));
});
