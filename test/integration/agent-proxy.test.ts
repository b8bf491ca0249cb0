import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startAgent } from '../helpers/agent-process.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from './proxy/proxy-harness.js';

async function backend(name: string): Promise<number> {
  const server: Server = createServer((_req, res) => res.writeHead(200).end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** GET / on a connection of its own (closed after the answer); its body. */
function getOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

test('the agent binds a ServicePort, balances over its instances and reports them at /api/proxy.json', { timeout: 60_000 }, async () => {
  const ports = [await backend('a'), await backend('b')];
  const servicePort = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'sidecar-proxy-')), 'static.json');
  writeFileSync(
    file,
    JSON.stringify(
      ports.map((port) => ({
        Service: { Name: 'web', Image: 'web:1', Ports: [{ Type: 'tcp', Port: port, ServicePort: servicePort }], ProxyMode: 'tcp' },
        Check: { Type: 'Tcp', Args: `127.0.0.1:${port}` },
      })),
    ),
  );
  const agent = startAgent([
    '--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '0',
    '--advertise-ip', '127.0.0.1', '--proxy-bind-ip', '127.0.0.1',
  ]);
  after(() => agent.stop());
  const api = await agent.apiUrl();

  const seen = await eventually(
    async () => {
      const answers = new Set<string>();
      // A new connection per request: the route is in TCP mode, so a keep-alive connection
      // would stay with one instance. A time limit per request: while the instances are still
      // UNHEALTHY the port is held and closes connections.
      for (let i = 0; i < 4; i++) answers.add(await getOnce(servicePort));
      assert.deepEqual([...answers].sort(), ['a', 'b']);
      return answers;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  assert.equal(seen.size, 2);

  const status = (await (await fetch(`${api}/api/proxy.json`)).json()) as {
    bindIp: string;
    routes: Array<{ servicePort: number; serviceName: string; endpoints: unknown[]; listener: { connectionsTotal: number } | null }>;
  };
  assert.equal(status.bindIp, '127.0.0.1');
  const route = status.routes.find((r) => r.servicePort === servicePort);
  assert.equal(route?.serviceName, 'web');
  assert.equal(route?.endpoints.length, 2);
  assert.ok((route?.listener?.connectionsTotal ?? 0) >= 2, "connections were counted");
});
