import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, silentLogger } from '../../../src/core/index.js';
import { LoadBalancer } from '../../../src/proxy/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';
import { eventually } from '../../helpers/eventually.js';
import { exchange, freePort, startBackend } from './proxy-harness.js';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function readLines(path: string): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

for (const workers of [0, 2]) {
  test(`--proxy-access-log writes one JSON line per HTTP request and per TCP connection (${workers} worker threads)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-access-log-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'access.log');

    const http: Server = createServer((req, res) => {
      const status = req.url === '/missing' ? 404 : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'hello there' : 'no');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    after(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const httpPort = (http.address() as AddressInfo).port;
    const echo = await startBackend('echo');
    after(() => echo.close());

    const webPort = await freePort();
    const dbPort = await freePort();
    const gonePort = await freePort();
    const deadBackend = await freePort();
    const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock: systemClock, workers, accessLogPath: path });
    after(() => lb.close());
    const { stamps } = makeState(new Date().toISOString());
    await lb.update([
      makeService({ id: 'web1', name: 'web', hostname: 'h1', proxyMode: 'http', updated: stamps.now(), ports: [{ type: 'tcp', port: httpPort, servicePort: webPort, ip: '127.0.0.1' }] }),
      makeService({ id: 'db1', name: 'db', hostname: 'h2', proxyMode: 'tcp', updated: stamps.now(), ports: [{ type: 'tcp', port: echo.endpoint.port, servicePort: dbPort, ip: '127.0.0.1' }] }),
      makeService({ id: 'gone1', name: 'gone', hostname: 'h3', proxyMode: 'http', updated: stamps.now(), ports: [{ type: 'tcp', port: deadBackend, servicePort: gonePort, ip: '127.0.0.1' }] }),
    ]);

    assert.equal((await get(webPort, '/')).status, 200);
    assert.equal((await get(webPort, '/missing')).status, 404);
    assert.equal((await exchange(dbPort, 'ping-pong')).toString(), 'ping-pong');
    assert.equal((await get(gonePort, '/')).status, 503); // the instance refuses connections

    const lines = await eventually(() => {
      const all = readLines(path);
      assert.equal(all.length, 4, JSON.stringify(all));
      return all;
    });
    const http200 = lines.find((l) => l['service'] === 'web' && l['status'] === 200);
    const http404 = lines.find((l) => l['service'] === 'web' && l['status'] === 404);
    const tcp = lines.find((l) => l['service'] === 'db');
    assert.ok(http200 !== undefined && http404 !== undefined && tcp !== undefined, JSON.stringify(lines));
    for (const l of [http200, http404, tcp]) {
      assert.match(String(l['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(String(l['client']), /^127\.0\.0\.1:\d+$/);
      assert.equal(typeof l['durationMs'], 'number');
      assert.ok((l['bytesIn'] as number) > 0 && (l['bytesOut'] as number) > 0, JSON.stringify(l));
    }
    assert.equal(http200['port'], webPort);
    assert.equal(http200['mode'], 'http');
    assert.equal(http200['backend'], `127.0.0.1:${httpPort}`);
    assert.equal(http200['server'], 'h1-web1');
    assert.ok((http200['bytesOut'] as number) > 'hello there'.length, 'the response head and body are counted');
    assert.equal(tcp['port'], dbPort);
    assert.equal(tcp['mode'], 'tcp');
    assert.equal(tcp['backend'], `127.0.0.1:${echo.endpoint.port}`);
    assert.equal(tcp['bytesIn'], 'ping-pong'.length);
    assert.equal(tcp['bytesOut'], 'ping-pong'.length);
    assert.equal('status' in tcp, false, 'TCP lines carry no HTTP status');
    const refused = lines.find((l) => l['service'] === 'gone') ?? {};
    assert.deepEqual([refused['status'], refused['backend'], refused['server']], [503, `127.0.0.1:${deadBackend}`, 'h3-gone1'], 'a 503 after failed connects names the instance last tried');
    assert.ok((refused['bytesOut'] as number) > 0);
  });
}
