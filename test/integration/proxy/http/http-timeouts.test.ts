import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../../helpers/eventually.js';
import { RawClient, get, setupProxy } from './http-harness.js';

// HTTP timeouts come from one sweep per forwarder (no timer per socket): these check that each
// still fires, and that activity keeps a connection open.

test('an idle pooled upstream connection is closed after poolIdleTimeoutMs', async (t) => {
  const p = await setupProxy(t, { poolIdleTimeoutMs: 150 });
  const b = await p.backend('b');
  await p.route([b.endpoint]);
  const c = await RawClient.open(p.port);
  c.write(get());
  assert.equal((await c.read()).status, 200);
  assert.equal(p.stats().http?.idleUpstreamConnections, 1);
  await eventually(() => assert.equal(p.stats().http?.upstreamConnections, 0), { timeoutMs: 3000 });
  // The client connection (default 60 s idle timeout) is still served, on a new upstream connection.
  c.write(get());
  assert.equal((await c.read()).status, 200);
  c.close();
});

test('an endpoint silent for serverTimeoutMs gets 504; the client connection stays usable', async (t) => {
  const p = await setupProxy(t, { clientTimeoutMs: 200, serverTimeoutMs: 200 });
  const b = await p.backend('b', (req, res) => {
    if (req.url !== '/slow') res.end('fast');
  });
  await p.route([b.endpoint]);
  const c = await RawClient.open(p.port);
  const started = Date.now();
  c.write(get('/slow'));
  const r = await c.read();
  assert.equal(r.status, 504);
  assert.ok(Date.now() - started >= 190, `504 after ${Date.now() - started} ms`);
  assert.equal(p.stats().http?.errors.timeout, 1);
});

test('a client that sends nothing for clientTimeoutMs is closed; one that keeps talking is not', async (t) => {
  const p = await setupProxy(t, { clientTimeoutMs: 300, serverTimeoutMs: 300 });
  const b = await p.backend('b');
  await p.route([b.endpoint]);
  const quiet = await RawClient.open(p.port);
  const busy = await RawClient.open(p.port);
  const started = Date.now();
  let quietClosedAt = 0;
  void quiet.closed.then(() => (quietClosedAt = Date.now()));
  for (let i = 0; i < 8; i++) {
    busy.write(get());
    assert.equal((await busy.read()).status, 200);
    await new Promise((r) => setTimeout(r, 100));
  }
  await quiet.closed;
  assert.ok(quietClosedAt - started >= 290, `closed after ${quietClosedAt - started} ms`);
  assert.equal(busy.ended, false);
  busy.write(get());
  assert.equal((await busy.read()).status, 200);
  busy.close();
});
