/**
 * TCP mode's two idle settings: a connection is closed once its client has been silent for
 * `clientTimeoutMs` AND its endpoint for `serverIdleTimeoutMs` (--proxy-client-timeout,
 * --proxy-server-idle-timeout). Bytes from either side keep it open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { systemClock } from '../../../src/core/index.js';
import { FrontendSet, type FrontendSetOptions } from '../../../src/proxy/frontend-set.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { closesWithin, freePort, open, roundRobin } from './proxy-harness.js';

/** An endpoint that writes one byte every `everyMs` for `forMs` to each connection, then falls silent. */
async function ticker(everyMs: number, forMs: number): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    const timer = setInterval(() => s.write('.'), everyMs);
    const stop = setTimeout(() => clearInterval(timer), forMs);
    s.on('close', () => {
      clearInterval(timer);
      clearTimeout(stop);
      sockets.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    server,
    port: address.port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function setup(t: { after(fn: () => Promise<void>): void }, options: Partial<FrontendSetOptions>, endpoint: { everyMs: number; forMs: number }) {
  const { logger } = captureLogger();
  const set = new FrontendSet({ bindIp: '127.0.0.1', logger, clock: systemClock, ...options });
  const backend = await ticker(endpoint.everyMs, endpoint.forMs);
  t.after(async () => {
    await set.close();
    await backend.close();
  });
  const port = await freePort();
  await set.apply(new Map([[port, { picker: roundRobin([{ key: 'ticker', ip: '127.0.0.1', port: backend.port }]), mode: 'tcp' }]]));
  return port;
}

test('a silent client stays connected while its endpoint talks; both silent: closed', async (t) => {
  const port = await setup(t, { clientTimeoutMs: 150, serverIdleTimeoutMs: 150 }, { everyMs: 30, forMs: 900 });
  const c = await open(port);
  let received = 0;
  c.socket.on('data', (b: Buffer) => (received += b.length));
  assert.equal(await closesWithin(c.closed, 700), false, 'open well past clientTimeoutMs while the endpoint sends');
  assert.ok(received > 5);
  assert.equal(await closesWithin(c.closed, 3000), true, 'closed once both sides fell silent');
});

test('a long serverIdleTimeoutMs keeps a silent connection past a short clientTimeoutMs', async (t) => {
  const port = await setup(t, { clientTimeoutMs: 50, serverIdleTimeoutMs: 60_000 }, { everyMs: 1000, forMs: 0 });
  const c = await open(port);
  assert.equal(await closesWithin(c.closed, 600), false);
  c.socket.destroy();
});
