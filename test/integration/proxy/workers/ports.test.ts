import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../../helpers/eventually.js';
import { exchange, freePort, open, startBackend } from '../proxy-harness.js';
import { startWorkersLb } from './workers-harness.js';

/*
 * Ports with 2 workers: a port added reaches every worker (each binds its own SO_REUSEPORT
 * listener before update() resolves), a port removed stops accepting and drains in every
 * worker, and close() ends every connection and thread.
 */

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

test('a port added reaches every worker; a removed one stops accepting and drains on all of them', { timeout: 30_000 }, async (t) => {
  const backend = await startBackend('echo');
  t.after(() => backend.close());
  const first = await freePort();
  const added = await freePort();
  const p = startWorkersLb(t);
  p.put('one', { port: backend.endpoint.port, servicePort: first, mode: 'tcp' });
  await p.apply();
  const before = await p.workers();

  // Added: once update() resolves, every worker accepts on it (connections to it alone move both workers' counters).
  p.put('two', { port: backend.endpoint.port, servicePort: added, mode: 'tcp', name: 'other' });
  await p.apply();
  for (let i = 0; i < 40; i += 10) {
    for (const reply of await Promise.all(Array.from({ length: 10 }, () => exchange(added, 'ping')))) assert.equal(reply.toString(), 'ping');
  }
  const afterAdd = await p.workers();
  t.diagnostic(`connections to the added port per worker: ${afterAdd.map((w, i) => w.connectionsTotal - before[i]!.connectionsTotal).join(' / ')}`);
  afterAdd.forEach((w, i) => assert.ok(w.connectionsTotal > before[i]!.connectionsTotal, `worker ${i} does not serve the added port`));

  // Held connections on `added`, in both workers, then the port is removed.
  const conns = await Promise.all(Array.from({ length: 16 }, () => open(added)));
  t.after(() => {
    for (const c of conns) c.socket.destroy();
  });
  for (const c of conns) assert.equal(await c.roundTrip('x'), 'x');
  assert.ok((await p.workers()).every((w) => w.connectionsActive > 0), 'both workers hold connections on the port');
  p.remove('two');
  await p.apply();
  assert.equal(await refused(added), true, 'no worker accepts on the removed port');
  for (let i = 0; i < 10; i++) assert.equal(await refused(added), true);
  for (const c of conns) assert.equal(await c.roundTrip('still'), 'still', 'open connections drain: they keep working');
  const draining = (await p.describe()).draining;
  assert.deepEqual(draining.map((f) => [f.port, f.state, f.connectionsActive]), [[added, 'draining', 16]], 'one draining frontend, counted over both workers');
  assert.equal((await p.describe()).routes.map((r) => r.servicePort).join(), String(first));

  for (const c of conns) c.socket.end();
  await eventually(async () => assert.deepEqual((await p.describe()).draining, []), { timeoutMs: 5_000 });
  assert.equal((await exchange(first, 'ok')).toString(), 'ok', 'the other port still serves');
});

test('close() closes every connection and worker thread: the process then exits on its own', { timeout: 30_000 }, async () => {
  const script = fileURLToPath(new URL('./fixtures/serve-then-close.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  try {
    const servicePort = Number(await eventually(() => /served (\d+)/.exec(out)?.[1] ?? false, { timeoutMs: 15_000 }));
    assert.equal((await exchange(servicePort, 'ping')).toString(), 'ping');
    const held = await open(servicePort);
    child.stdin.end('close\n');
    await eventually(() => held.socket.destroyed, { timeoutMs: 5_000 }); // close() ended a connection held by a worker
    let timer: NodeJS.Timeout | undefined;
    const [code] = await Promise.race([exited, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after close(): ${out} ${err}`)), 10_000)))]);
    clearTimeout(timer);
    assert.equal(code, 0, err);
    assert.match(out, /held connection closed/);
    assert.match(out, /closed \[0,0\]/);
    assert.equal(await refused(servicePort), true);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a port added while a worker is down: update() does not wait for it, and its replacement serves the port', { timeout: 30_000 }, async (t) => {
  const backend = await startBackend('echo');
  t.after(() => backend.close());
  const first = await freePort();
  const added = await freePort();
  const p = startWorkersLb(t);
  p.put('one', { port: backend.endpoint.port, servicePort: first, mode: 'tcp' });
  await p.apply();

  p.lb.workerPlane?.injectFault(0, 'exit');
  await eventually(async () => assert.equal((await p.workers())[0]!.restarts, 1));
  p.put('two', { port: backend.endpoint.port, servicePort: added, mode: 'tcp', name: 'other' });
  await p.apply();
  assert.equal((await exchange(added, 'now')).toString(), 'now', 'served at once by the live worker');
  await eventually(async () => assert.equal((await p.workers())[0]!.state, 'running'));
  // The replacement started with the newest table (no further update): it takes connections on the port.
  const before = await p.workers();
  await eventually(
    async () => {
      await Promise.all(Array.from({ length: 10 }, () => exchange(added, 'ping')));
      assert.ok((await p.workers())[0]!.connectionsTotal > before[0]!.connectionsTotal);
    },
    { timeoutMs: 5_000 },
  );
  const after = await p.workers();
  t.diagnostic(`connections per worker after the replacement: ${after.map((w, i) => w.connectionsTotal - before[i]!.connectionsTotal).join(' / ')}`);
  after.forEach((w, i) => assert.ok(w.connectionsTotal > before[i]!.connectionsTotal, `worker ${i} does not serve the added port`));
});
