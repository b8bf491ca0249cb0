import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, startAgent } from '../helpers/agent-process.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from './proxy/proxy-harness.js';

async function httpBackend(): Promise<number> {
  const server: Server = createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 201).end('web says hi'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function echoBackend(): Promise<number> {
  const server = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

function echo(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect(port, '127.0.0.1', () => s.end(text));
    s.setEncoding('utf8').on('data', (c: string) => (got += c));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(2000, () => s.destroy(new Error('timed out')));
  });
}

test('an agent with --proxy-access-log writes one JSON line per HTTP request and TCP connection; status changes are logged by name with their cause', { timeout: 60_000 }, async () => {
  const webPort = await httpBackend();
  const dbPort = await echoBackend();
  const [webServicePort, dbServicePort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-access-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'static.json');
  const accessLog = join(dir, 'access.log');
  writeFileSync(
    file,
    JSON.stringify([
      { Service: { Name: 'web', Image: 'web:1', Ports: [{ Type: 'tcp', Port: webPort, ServicePort: webServicePort }], ProxyMode: 'http' }, Check: { Type: 'HttpGet', Args: `http://127.0.0.1:${webPort}/health` } },
      { Service: { Name: 'db', Image: 'db:1', Ports: [{ Type: 'tcp', Port: dbPort, ServicePort: dbServicePort }], ProxyMode: 'tcp' }, Check: { Type: 'Tcp', Args: `127.0.0.1:${dbPort}` } },
    ]),
  );
  const agent = startAgent([
    '--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '0',
    '--advertise-ip', '127.0.0.1', '--proxy-bind-ip', '127.0.0.1', '--proxy-workers', '2', '--proxy-access-log', accessLog,
  ]);
  after(() => agent.stop());
  await agent.apiUrl();

  await eventually(async () => assert.equal(await getStatus(webServicePort, '/x'), 201), { timeoutMs: 10_000, intervalMs: 100 });
  await eventually(async () => assert.equal(await echo(dbServicePort, 'ping'), 'ping'), { timeoutMs: 10_000, intervalMs: 100 });

  const lines = await eventually(() => {
    const all = readFileSync(accessLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(all.some((l) => l['service'] === 'web' && l['status'] === 201), JSON.stringify(all));
    assert.ok(all.some((l) => l['service'] === 'db' && l['bytesIn'] === 4), JSON.stringify(all));
    return all;
  });
  const web = lines.find((l) => l['service'] === 'web' && l['status'] === 201) ?? {};
  assert.equal(web['port'], webServicePort);
  assert.equal(web['backend'], `127.0.0.1:${webPort}`);
  assert.match(String(web['client']), /^127\.0\.0\.1:\d+$/);
  const db = lines.find((l) => l['service'] === 'db' && l['bytesIn'] === 4) ?? {};
  assert.deepEqual([db['port'], db['backend'], db['bytesOut'], 'status' in db], [dbServicePort, `127.0.0.1:${dbPort}`, 4, false]);

  // The agent's own log: one line per status change, statuses by name, codes kept, the cause in words.
  const changes = agent.logs.filter((l) => /^Service status changed/.test(String(l['msg'])) && l['service'] === 'web');
  assert.ok(changes.length > 0, JSON.stringify(agent.logs.slice(-20)));
  for (const c of changes) {
    assert.equal(typeof c['status'], 'string');
    assert.equal(typeof c['statusCode'], 'number');
    assert.equal(typeof c['time'], 'string');
    assert.ok([30, 40].includes(logLevel(c)));
  }
  assert.ok(changes.some((c) => c['status'] === 'ALIVE' && /HttpGet http:\/\/127\.0\.0\.1:\d+\/health passed/.test(String(c['msg']))), JSON.stringify(changes));
  assert.ok(!JSON.stringify(agent.logs).includes('sickly'));
});
