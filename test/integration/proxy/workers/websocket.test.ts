import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { freePort } from '../proxy-harness.js';
import { httpBackend, type HttpBackend } from '../http/http-harness.js';
import { startWorkersLb } from './workers-harness.js';

/*
 * WebSocket tunnels through the workers: the upgrade is answered, then bytes flow both ways
 * through whichever worker took the connection, and a routing update leaves open tunnels alone.
 */

/** Answers an upgrade with 101, then echoes bytes upper-cased (a stand-in for a WebSocket server). */
async function upgradeBackend(name: string): Promise<HttpBackend> {
  const b = await httpBackend(name);
  // Upgraded sockets are no longer the server's: closeAllConnections() leaves them, so close() ends them here.
  const upgraded = new Set<Socket>();
  b.server.on('upgrade', (req, socket: Socket) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade ?? ''}\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`);
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    socket.on('error', () => socket.destroy());
  });
  return {
    ...b,
    close: () => {
      for (const s of upgraded) s.destroy();
      return b.close();
    },
  };
}

interface Tunnel {
  readonly socket: Socket;
  readonly backend: string;
  echo(text: string): Promise<string>;
}

async function openTunnel(port: number): Promise<Tunnel> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let buffered = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    buffered += c.toString();
    waiter?.();
  });
  const until = (done: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        waiter = undefined;
        resolve();
      };
      waiter = check;
      socket.once('close', () => reject(new Error(`tunnel closed after ${JSON.stringify(buffered)}`)));
      check();
    });
  socket.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await until(() => buffered.includes('\r\n\r\n'));
  const head = buffered.slice(0, buffered.indexOf('\r\n\r\n'));
  buffered = buffered.slice(head.length + 4);
  assert.match(head, /^HTTP\/1\.1 101 /);
  const backend = /x-backend: (\w+)/i.exec(head)?.[1] ?? '';
  return {
    socket,
    backend,
    echo: async (text) => {
      await until(() => buffered.length >= text.length);
      const got = buffered.slice(0, text.length);
      buffered = buffered.slice(text.length);
      return got;
    },
  };
}

for (const mode of ['ws', 'http'] as const) {
  test(`${mode} mode: WebSocket tunnels through both workers carry bytes both ways and outlive a routing update`, async (t) => {
    const backends = await Promise.all(['one', 'two'].map((name) => upgradeBackend(name)));
    t.after(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
    const servicePort = await freePort();
    const p = startWorkersLb(t);
    p.put('one', { port: backends[0]!.endpoint.port, servicePort, mode });
    p.put('two', { port: backends[1]!.endpoint.port, servicePort, mode });
    await p.apply();

    const tunnels = await Promise.all(Array.from({ length: 16 }, () => openTunnel(servicePort)));
    t.after(() => {
      for (const x of tunnels) x.socket.destroy();
    });
    assert.deepEqual([...new Set(tunnels.map((x) => x.backend))].sort(), ['one', 'two']);
    const echo = async (round: string): Promise<void> => {
      await Promise.all(
        tunnels.map(async (x, i) => {
          x.socket.write(`${round}-${i}`);
          assert.equal(await x.echo(`${round}-${i}`), `${round}-${i}`.toUpperCase());
        }),
      );
    };
    await echo('hello');
    const workers = await p.workers();
    t.diagnostic(`tunnels per worker: ${workers.map((w) => w.connectionsActive).join(' / ')}`);
    for (const w of workers) assert.ok(w.connectionsActive > 0, `worker ${w.index} carries no tunnel`);

    // `two` leaves the route: the open tunnels (to either) stay up.
    p.remove('two');
    await p.apply();
    await echo('after-update');
    assert.equal((await p.frontend(servicePort))?.connectionsActive, tunnels.length);
  });
}
