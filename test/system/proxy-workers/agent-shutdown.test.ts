import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Agent, request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { eventually } from '../../helpers/eventually.js';
import { startProxyAgent, statuses } from '../hostile/proxy-agent.js';
import { freePort } from '../../helpers/free-port.js';

/*
 * An agent with `--proxy-workers 2` shuts down cleanly while clients hold connections through
 * both workers: SIGTERM, every proxied connection ends, the ServicePort is released and the
 * process exits 0 on its own (a worker thread left running would keep it alive).
 */

function get(agent: Agent, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

test('an agent with 2 proxy workers exits 0 on SIGTERM while clients hold proxied connections', { timeout: 60_000 }, async (t) => {
  const server = createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const servicePort = await freePort();
  const agent = await startProxyAgent([{ name: 'web', port: (server.address() as AddressInfo).port, servicePort, mode: 'http' }], { args: ['--proxy-workers', '2'] });
  t.after(() => agent.stop());
  await eventually(async () => assert.deepEqual((await statuses(agent, 'web')).statuses, [0]), { timeoutMs: 20_000, intervalMs: 200 });

  const agents = Array.from({ length: 12 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  t.after(() => {
    for (const a of agents) a.destroy();
  });
  await eventually(async () => assert.deepEqual(await Promise.all(agents.map((a) => get(a, servicePort))), Array<string>(12).fill('ok')), { timeoutMs: 10_000, intervalMs: 100 });
  const { body } = await agent.getJson<{ workers?: Array<{ connectionsActive: number }> }>('/api/proxy.json');
  assert.equal(body.workers?.length, 2);
  assert.equal(body.workers.reduce((n, w) => n + w.connectionsActive, 0), 12, 'the 12 keep-alive connections are open in the workers');

  const started = Date.now();
  agent.child.kill('SIGTERM');
  const [code] = (await once(agent.child, 'exit')) as [number | null];
  t.diagnostic(`exited ${Date.now() - started} ms after SIGTERM`);
  assert.equal(code, 0);
  assert.equal(agent.logs.filter((l) => l['code'] === 'SC_ERR_PROXY_WORKER_DIED').length, 0);
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: servicePort });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  assert.equal(refused, true, 'the ServicePort is released');
});
