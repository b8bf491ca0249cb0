/**
 * A port removed and added again while its old listener still drains (every instance of a
 * service briefly tombstoned, e.g. a member falsely declared dead for a moment): keep-alive
 * clients still on the old listener must follow the new route, not keep the stale rotation
 * until the drain timeout. Found by test/system/multihost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../src/core/index.js';
import { FrontendSet, type ProxyRoute } from '../../../src/proxy/frontend-set.js';
import type { ProxyEndpoint } from '../../../src/proxy/forwarder.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { freePort, roundRobin } from './proxy-harness.js';

async function named(name: string): Promise<{ server: Server; endpoint: ProxyEndpoint }> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, endpoint: { key: name, ip: '127.0.0.1', port } };
}

function get(port: number, agent: Agent): Promise<{ body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a keep-alive client on a draining listener follows the route when its port comes back', async (t) => {
  const { logger } = captureLogger();
  const set = new FrontendSet({ bindIp: '127.0.0.1', logger, clock: systemClock });
  const a = await named('a');
  const b = await named('b');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await set.close();
    for (const s of [a.server, b.server]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
  const port = await freePort();
  const route = (endpoint: ProxyEndpoint): Map<number, ProxyRoute> => new Map([[port, { picker: roundRobin([endpoint]), mode: 'http', serviceName: 'svc' }]]);

  await set.apply(route(a.endpoint));
  assert.equal((await get(port, agent)).body, 'a');
  await set.apply(new Map()); // removed: the client's idle keep-alive connection drains
  assert.equal(set.stats().find((l) => l.port === port)?.state, 'draining');
  await set.apply(route(b.endpoint)); // back, now routed to b
  const again = await get(port, agent);
  assert.equal(again.reused, true, 'the request went over the connection of the draining listener');
  assert.equal(again.body, 'b');
});
