import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyEndpoint } from '../../../src/proxy/forwarder.js';
import { LEVEL } from '../../helpers/log-capture.js';
import { deadEndpoint, exchange, freePort, roundRobin, frontendSetFixture, startBackend } from './proxy-harness.js';

/*
 * Passive outlier detection in TCP mode: consecutive refused connects eject an endpoint, so new
 * connections stop paying a failed connect (or, on a vanished host, the connect timeout) on it
 * before its health check notices; the health check passing again ends the ejection.
 */

const EJECTED_LOG = 'endpoint ejected after consecutive failures';


const setup = frontendSetFixture;

async function sequential(port: number, n: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < n; i++) answers.push((await exchange(port, 'x')).toString());
  return answers;
}

test('5 refused connects eject a TCP endpoint: new connections stop trying it, clients see no failure', async (t) => {
  const { set, records, backend, statsOf, route } = await setup(t);
  const live = await backend({ name: 'live' });
  const dead = deadEndpoint(await freePort());
  const port = await freePort();
  // The dead endpoint comes first in the rotation: every connection tries it first until it is ejected.
  await set.apply(route(port, roundRobin([dead, live.endpoint])));

  const answers = await sequential(port, 30);
  assert.deepEqual(answers, Array(30).fill('live'), 'every client connection was served');
  const s = statsOf(port);
  const d = s.endpoints.find((e) => e.key === dead.key);
  assert.equal(d?.connectErrors, 5, 'the dead endpoint was tried 5 times, then skipped');
  assert.equal(d?.ejections, 1);
  assert.ok((d?.ejectedUntilMs ?? 0) > Date.now() + 5_000, 'ejected for the base 10 s');
  assert.equal(s.ejections, 1);
  assert.equal(s.retriesTotal, 5);
  assert.equal(s.endpoints.find((e) => e.key === live.endpoint.key)?.connectionsTotal, 30);
  const warns = records.filter((r) => r.level === LEVEL.warn && r.msg === EJECTED_LOG);
  assert.equal(warns.length, 1, 'one warning per ejection');
  assert.equal(warns[0]?.endpoint, dead.key);
});

test('an ejected TCP endpoint is back in rotation as soon as it rejoins the route (health check passed)', async (t) => {
  const { set, backend, statsOf, route } = await setup(t);
  const live = await backend({ name: 'live' });
  const deadPort = await freePort();
  const dead = deadEndpoint(deadPort);
  const port = await freePort();
  const endpoints: ProxyEndpoint[] = [dead, live.endpoint];
  await set.apply(route(port, roundRobin(endpoints)));
  await sequential(port, 10);
  assert.equal(statsOf(port).ejections, 1);

  // It listens again, but nothing told the proxy: it stays ejected (the ejection lasts 10 s).
  const revived = await startBackend({ name: 'revived' }, deadPort);
  t.after(() => revived.close());
  assert.deepEqual(await sequential(port, 6), Array(6).fill('live'));
  assert.equal(revived.accepted(), 0, 'no connection tried the ejected endpoint');

  // Its health check passed: the route names it as rejoined, and it gets its share at once.
  await set.apply(route(port, roundRobin(endpoints), [dead.key]));
  const after = await sequential(port, 6);
  assert.equal(after.filter((a) => a === 'revived').length, 3, `answers: ${after.join(' ')}`);
  assert.equal(statsOf(port).endpoints.find((e) => e.key === dead.key)?.ejectedUntilMs, 0);
});

test('every endpoint ejected: a new connection still tries one rather than being refused', async (t) => {
  const { set, statsOf, route } = await setup(t);
  const portA = await freePort();
  const portB = await freePort();
  const port = await freePort();
  await set.apply(route(port, roundRobin([deadEndpoint(portA), deadEndpoint(portB)])));
  // Each connection fails on both (its retries skip the ones it already tried), counting one
  // failure each, and is then closed with nothing to say (no endpoint left).
  for (let i = 0; i < 5; i++) assert.equal((await exchange(port, 'x')).length, 0);
  assert.equal(statsOf(port).ejections, 2, 'both ejected');

  const back = await startBackend({ name: 'a' }, portA);
  t.after(() => back.close());
  assert.equal((await exchange(port, 'x')).toString(), 'a');
});
