import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, silentLogger } from '../../../src/core/index.js';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { LoadBalancer } from '../../../src/proxy/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';
import { exchange, freePort, startBackend } from './proxy-harness.js';

test('the load balancer routes a ServicePort round robin over ALIVE instances on several hosts', async () => {
  const backends = await Promise.all(['one', 'two', 'three'].map((name) => startBackend({ name })));
  after(() => Promise.all(backends.map((b) => b.close())));
  const servicePort = await freePort();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock: systemClock });
  after(() => lb.close());
  const { state, stamps } = makeState(new Date().toISOString());
  const records = backends.map((b, i) =>
    makeService({
      id: `id${i}`,
      hostname: `host${i}`,
      proxyMode: 'tcp',
      updated: stamps.now(),
      ports: [{ type: 'tcp', port: b.endpoint.port, servicePort, ip: '127.0.0.1' }],
    }),
  );
  for (const r of records) state.addServiceEntry(r);
  const all = () => [...state.servers.values()].flatMap((s) => [...s.services.values()]);
  await lb.update(all());

  const answers = [];
  for (let i = 0; i < 6; i++) answers.push((await exchange(servicePort, 'hi')).toString());
  assert.deepEqual([...answers].sort(), ['one', 'one', 'three', 'three', 'two', 'two']);
  assert.notEqual(answers[0], answers[1]);

  // host1's instance turns UNHEALTHY: it leaves the rotation at the next update.
  state.addServiceEntry({ ...records[1]!, status: ServiceStatus.UNHEALTHY, updated: stamps.now() });
  await lb.update(all());
  const after2 = new Set<string>();
  for (let i = 0; i < 6; i++) after2.add((await exchange(servicePort, 'hi')).toString());
  assert.deepEqual([...after2].sort(), ['one', 'three']);
  assert.equal(lb.routingTable().routes.find((r) => r.servicePort === servicePort)?.endpoints.length, 2);
});

test('two services on one ServicePort: the older keeps it, the other is reported', async () => {
  const servicePort = await freePort();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger: silentLogger(), clock: systemClock });
  after(() => lb.close());
  const { stamps } = makeState(new Date().toISOString());
  const old = makeService({ id: 'a', name: 'old', updated: stamps.now(), ports: [{ type: 'tcp', port: 1, servicePort, ip: '127.0.0.1' }] });
  const squatter = makeService({ id: 'b', name: 'new', updated: stamps.now(), ports: [{ type: 'tcp', port: 2, servicePort, ip: '127.0.0.1' }] });
  await lb.update([squatter, old]);
  assert.equal(lb.routingTable().routes.find((r) => r.servicePort === servicePort)?.serviceName, 'old');
  assert.deepEqual(lb.routingTable().collisions, [{ servicePort, owner: 'old', rejected: ['new'] }]);
});
