import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../proxy-harness.js';
import { httpBackend } from '../http/http-harness.js';
import { getOnce, startWorkersLb, type Answer } from './workers-harness.js';

/*
 * Slow start in every worker: an endpoint that joins a route gets a share that grows over the
 * window, whichever worker serves the requests (each worker ramps it from the same update).
 */

const SLOW_START_MS = 3_000;

test('an endpoint that joins gets a growing share over the slow-start window, over both workers', { timeout: 30_000 }, async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map((name) => httpBackend(name)));
  t.after(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t, { slowStartMs: SLOW_START_MS });
  p.put('a', { port: backends[0]!.endpoint.port, servicePort, mode: 'http' });
  p.put('b', { port: backends[1]!.endpoint.port, servicePort, mode: 'http' });
  await p.apply();

  p.put('c', { port: backends[2]!.endpoint.port, servicePort, mode: 'http' });
  await p.apply();
  const joinedAt = Date.now();
  assert.deepEqual((await p.describe()).routes[0]?.warming, ['host-c-c'], 'c warms up');

  // Four loops of requests on new connections, until the window is over and a bit.
  const seen: Array<{ atMs: number; answer: Answer }> = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() - joinedAt < SLOW_START_MS + 1_500) {
        const answer = await getOnce(servicePort);
        seen.push({ atMs: Date.now() - joinedAt, answer });
      }
    }),
  );
  assert.deepEqual(seen.filter((s) => s.answer.status !== 200), [], 'every request answered');
  const shareOfC = (fromMs: number, toMs: number): { share: number; n: number } => {
    const inWindow = seen.filter((s) => s.atMs >= fromMs && s.atMs < toMs);
    return { share: inWindow.filter((s) => s.answer.body === 'c').length / inWindow.length, n: inWindow.length };
  };
  const first = shareOfC(0, SLOW_START_MS / 4);
  const last = shareOfC((SLOW_START_MS * 3) / 4, SLOW_START_MS);
  const full = shareOfC(SLOW_START_MS + 300, Infinity);
  const workers = await p.workers();
  t.diagnostic(
    `c's share: ${(first.share * 100).toFixed(1)} % of ${first.n} (first quarter), ${(last.share * 100).toFixed(1)} % of ${last.n} (last quarter), ` +
      `${(full.share * 100).toFixed(1)} % of ${full.n} (after); requests per worker ${workers.map((w) => w.requests).join(' / ')}`,
  );
  // Expected about 4 %, 29 % and 33 %.
  assert.ok(first.share < 0.15, 'c gets little at first');
  assert.ok(last.share > first.share + 0.1, 'and more towards the end of the window');
  assert.ok(full.share > 0.25, 'and its full share after it');
  for (const w of workers) assert.ok(w.requests > 0, `worker ${w.index} served no request`);
  assert.deepEqual((await p.describe()).routes[0]?.warming, [], 'c is warm');
});
