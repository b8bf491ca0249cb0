import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freePort, startBackend } from '../proxy-harness.js';
import { getWith, httpServiceOnWorkers, keepAliveAgents, startWorkersLb, tally } from './workers-harness.js';

/*
 * Round robin with 2 worker threads: each worker keeps its own rotation per ServicePort, so
 * whichever worker took a connection or request, every endpoint gets its share.
 */

const REQUESTS = 1_000;
/** Requests in flight at a time. */
const PARALLEL = 10;

function assertEvenShares(counts: Map<string, number>, names: readonly string[]): void {
  const share = REQUESTS / names.length;
  assert.deepEqual([...counts.keys()].sort(), [...names].sort());
  for (const name of names) {
    const n = counts.get(name) ?? 0;
    assert.ok(Math.abs(n - share) <= share * 0.1, `${name} got ${n} of ${REQUESTS}, not within ±10 % of ${share.toFixed(0)}: ${JSON.stringify([...counts])}`);
  }
}

async function inBatches<T>(total: number, parallel: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < total; i += parallel) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(parallel, total - i) }, (_, j) => one(i + j)))));
  }
  return out;
}

test('TCP mode: 1,000 connections over 3 endpoints, each within ±10 % of its share, both workers serving', async (t) => {
  const names = ['one', 'two', 'three'];
  const backends = await Promise.all(names.map((name) => startBackend({ name })));
  t.after(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  backends.forEach((b, i) => p.put(`tcp${i}`, { port: b.endpoint.port, servicePort, mode: 'tcp' }));
  await p.apply();

  const answers = await inBatches(REQUESTS, PARALLEL, () => exchange(servicePort, 'hi').then((b) => b.toString()));
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  assertEvenShares(counts, names);

  const workers = await p.workers();
  assert.equal(workers.length, 2);
  t.diagnostic(`connections per worker: ${workers.map((w) => w.connectionsTotal).join(' / ')}; per endpoint: ${JSON.stringify([...counts])}`);
  for (const w of workers) assert.ok(w.connectionsTotal > 0, `worker ${w.index} took no connection: ${JSON.stringify(workers)}`);
  assert.equal(workers.reduce((n, w) => n + w.connectionsTotal, 0), REQUESTS);
  const f = await p.frontend(servicePort);
  assert.equal(f?.connectionsTotal, REQUESTS, 'the merged frontend counts every connection once');
  assert.deepEqual(
    names.map((name) => f?.endpoints.find((e) => e.port === backends[names.indexOf(name)]?.endpoint.port)?.connectionsTotal),
    names.map((name) => counts.get(name)),
    'the merged per-endpoint counters match what the clients saw',
  );
});

test('HTTP mode: 1,000 requests over 16 keep-alive connections, each endpoint within ±10 % of its share, both workers serving', async (t) => {
  const names = ['a', 'b', 'c'];
  const { p, servicePort } = await httpServiceOnWorkers(t, names);

  // 16 connections: the chance that the kernel hands all of them to one worker is 2^-15.
  const agents = keepAliveAgents(t, 16);
  const answers = await inBatches(REQUESTS, agents.length, (i) => getWith(agents[i % agents.length]!, servicePort));
  const counts = await tally(answers.map((a) => Promise.resolve(a)));
  assertEvenShares(counts, names);

  const workers = await p.workers();
  t.diagnostic(`requests per worker: ${workers.map((w) => w.requests).join(' / ')} over ${workers.map((w) => w.connectionsTotal).join(' / ')} connections; per endpoint: ${JSON.stringify([...counts])}`);
  for (const w of workers) assert.ok(w.requests > 0, `worker ${w.index} served no request: ${JSON.stringify(workers)}`);
  assert.equal(workers.reduce((n, w) => n + w.requests, 0), REQUESTS);
  assert.equal(workers.reduce((n, w) => n + w.connectionsTotal, 0), agents.length, 'each keep-alive connection was accepted once');
  const f = await p.frontend(servicePort);
  assert.equal(f?.http?.requests, REQUESTS);
});
