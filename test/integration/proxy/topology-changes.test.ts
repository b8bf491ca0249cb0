import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { systemClock, silentLogger } from '../../../src/core/index.js';
import { ServiceStatus, type Service } from '../../../src/catalog/index.js';
import { LoadBalancer } from '../../../src/proxy/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from './proxy-harness.js';

/** An HTTP backend that names itself, streams on /stream, counts uploads on /upload and echoes WebSocket-style upgrades. */
async function backend(name: string): Promise<{ port: number; uploads: number[]; server: Server }> {
  const uploads: number[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/upload') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        uploads.push(n);
        res.end(`${name}:${n}`);
      });
      return;
    }
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const timer = setInterval(() => {
        res.write(`${name}-${i}\n`);
        if (++i === 20) {
          clearInterval(timer);
          res.end();
        }
      }, 25);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(name);
  });
  const upgraded = new Set<Socket>();
  server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
    // Upgraded sockets leave the server's books: closeAllConnections does not reach them.
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`${name}:${d.toString()}`));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const socket of upgraded) socket.destroy();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, uploads, server };
}

async function setup(mode: string, names: string[]) {
  const backends = await Promise.all(names.map(backend));
  const servicePort = await freePort();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock: systemClock });
  after(() => lb.close());
  const { stamps } = makeState(new Date().toISOString());
  const records = backends.map((b, i) =>
    makeService({ id: `i${i}`, name: 'web', hostname: `h${i}`, proxyMode: mode, updated: stamps.now(), ports: [{ type: 'tcp', port: b.port, servicePort, ip: '127.0.0.1' }] }),
  );
  const apply = (next: Service[]) => lb.update(next);
  const withStatus = (i: number, status: number): Service[] =>
    records.map((r, j) => (j === i ? { ...r, status, updated: stamps.now() } : r));
  await apply(records);
  return { backends, servicePort, lb, records, apply, withStatus };
}

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('an endpoint turning UNHEALTHY, then DRAINING, leaves the rotation at the next update with zero failed requests', { timeout: 20_000 }, async () => {
  const { servicePort, apply, withStatus, records } = await setup('http', ['a', 'b', 'c']);
  let failures = 0;
  const seen: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await get(servicePort);
        if (r.status !== 200) failures++;
        else seen.push(r.body);
      } catch {
        failures++;
      }
    }
  })();
  // The loop is sequential: once two more requests have finished, the one that was in flight
  // during an update (and may have gone to the leaving endpoint) is behind us.
  const afterInFlight = async (): Promise<void> => {
    const at = seen.length;
    await eventually(() => assert.ok(seen.length >= at + 2));
  };
  try {
    await eventually(() => assert.ok(new Set(seen).size === 3));
    await apply(withStatus(1, ServiceStatus.UNHEALTHY));
    await afterInFlight();
    const mark = seen.length;
    await eventually(() => assert.ok(seen.length > mark + 30));
    assert.ok(!seen.slice(mark).includes('b'), 'b left the rotation at the update');
    await apply(records.map((r, j) => (j === 2 ? { ...r, status: ServiceStatus.DRAINING } : j === 1 ? { ...r, status: ServiceStatus.UNHEALTHY } : r)));
    await afterInFlight();
    const mark2 = seen.length;
    await eventually(() => assert.ok(seen.length > mark2 + 30));
    assert.deepEqual([...new Set(seen.slice(mark2))], ['a']);
  } finally {
    // Stop the client loop whatever happened, or it would hammer the proxy forever.
    running = false;
    await loop;
  }
  assert.equal(failures, 0);
});

test('nothing healthy: HTTP answers 503 naming the service, TCP closes promptly', { timeout: 20_000 }, async () => {
  const http = await setup('http', ['a']);
  await http.apply(http.withStatus(0, ServiceStatus.UNHEALTHY));
  const r = await get(http.servicePort);
  assert.equal(r.status, 503);
  assert.deepEqual(JSON.parse(r.body), { message: `no healthy instance of web on port ${http.servicePort}`, status: 'error' });

  const tcp = await setup('tcp', ['a']);
  await tcp.apply(tcp.withStatus(0, ServiceStatus.UNHEALTHY));
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect(tcp.servicePort, '127.0.0.1');
    const timer = setTimeout(() => resolve(false), 2000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.on('error', () => undefined);
  });
  assert.ok(closed, 'closed promptly');
});

test('a long upload and a streaming download survive their endpoint leaving the rotation', { timeout: 20_000 }, async () => {
  const { servicePort, apply, withStatus, backends } = await setup('http', ['a', 'b']);
  // Upload: 40 chunks of 16 KiB, 20 ms apart; the endpoint goes UNHEALTHY half way.
  const upload = new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: servicePort, path: '/upload', method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('error', reject);
    let n = 0;
    const timer = setInterval(() => {
      req.write(Buffer.alloc(16 * 1024, 1));
      if (++n === 40) {
        clearInterval(timer);
        req.end();
      }
    }, 20);
  });
  const download = get(servicePort, '/stream');
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Take both endpoints out of rotation one after the other while the transfers run.
  await apply(withStatus(0, ServiceStatus.DRAINING));
  await apply(withStatus(1, ServiceStatus.DRAINING));
  const [up, down] = await Promise.all([upload, download]);
  assert.match(up, /^[ab]:655360$/);
  const lines = down.body.trim().split('\n');
  assert.equal(lines.length, 20);
  assert.equal(new Set(lines.map((l) => l.split('-')[0])).size, 1, 'one backend served the whole stream');
  assert.equal(backends.flatMap((b) => b.uploads).length, 1);
});

test('a WebSocket tunnel survives a topology change and keeps its endpoint', { timeout: 20_000 }, async () => {
  const { servicePort, apply, withStatus } = await setup('ws', ['a', 'b']);
  const socket = connect(servicePort, '127.0.0.1');
  after(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8').on('data', (d: string) => (received += d));
  socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await eventually(() => assert.match(received, /^HTTP\/1\.1 101/));
  socket.write('one');
  await eventually(() => assert.match(received, /(a|b):one$/));
  const endpoint = /(a|b):one$/.exec(received)?.[1];
  await apply(withStatus(endpoint === 'a' ? 0 : 1, ServiceStatus.UNHEALTHY));
  socket.write('two');
  await eventually(() => assert.ok(received.endsWith(`${endpoint}:two`)));
});
