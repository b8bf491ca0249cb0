import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freePort, startBackend } from '../proxy-harness.js';
import { httpBackend } from '../http/http-harness.js';
import { eventually } from '../../../helpers/eventually.js';
import { getOnce, startWorkersLb } from './workers-harness.js';

/*
 * Outlier ejection is shared (HTTP and TCP mode): the worker that ejects an endpoint tells the main thread, which
 * tells the others, so no worker keeps sending it requests. Clients cannot choose their worker
 * (SO_REUSEPORT hashes connections), so the test drives failures over new connections until one
 * worker ejects, then checks that no worker sends the endpoint anything.
 */

test('an endpoint ejected by one worker is skipped by every worker', { timeout: 30_000 }, async (t) => {
  const good = await httpBackend('good');
  const bad = await httpBackend('bad', (_req, res) => res.writeHead(500).end('broken'));
  t.after(() => Promise.all([good.close(), bad.close()]).then(() => undefined));
  const servicePort = await freePort();
  // A long ejection: it must not end during the test.
  const p = startWorkersLb(t, { outlier: { consecutiveFailures: 5, baseEjectionMs: 60_000, maxEjectionMs: 60_000 } });
  p.put('good', { port: good.endpoint.port, servicePort, mode: 'http' });
  p.put('bad', { port: bad.endpoint.port, servicePort, mode: 'http' });
  await p.apply();
  const badKey = 'host-bad-bad';

  // Until one worker ejects `bad` (5 consecutive 5xx there). Sequential requests: the relay is not raced.
  let sent = 0;
  for (;;) {
    const f = await p.frontend(servicePort);
    if ((f?.http?.ejections ?? 0) > 0) break;
    assert.ok(sent < 500, `no ejection after ${sent} requests`);
    for (let i = 0; i < 5; i++, sent++) await getOnce(servicePort);
  }
  // describe() asked every worker after the main thread had relayed the ejection (one port each way, in order),
  // so from here on every worker skips `bad`.
  const before = await p.frontend(servicePort);
  const badBefore = before?.http?.endpoints.find((e) => e.key === badKey);
  assert.ok((badBefore?.ejectedUntilMs ?? 0) > Date.now() + 30_000, 'bad is ejected for the configured period');
  const workersBefore = await p.workers();

  const answers = [];
  for (let i = 0; i < 200; i += 10) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => getOnce(servicePort)))));
  assert.deepEqual([...new Set(answers.map((a) => `${a.status} ${a.body}`))], ['200 good'], 'no request went to the ejected endpoint');
  const after = await p.frontend(servicePort);
  assert.equal(after?.http?.endpoints.find((e) => e.key === badKey)?.requests, badBefore?.requests, 'no worker sent bad a request');
  const workersAfter = await p.workers();
  t.diagnostic(
    `ejected after ${sent} requests; ejections counted: ${after?.http?.ejections}; requests per worker after the ejection: ` +
      workersAfter.map((w, i) => w.requests - (workersBefore[i]?.requests ?? 0)).join(' / '),
  );
  // Both workers served some of the 200: the one that did not eject skipped bad too.
  workersAfter.forEach((w, i) => assert.ok(w.requests > (workersBefore[i]?.requests ?? 0), `worker ${i} served none of the requests after the ejection`));
});

test('a worker that replaces a dead one skips the endpoints ejected before it started', { timeout: 30_000 }, async (t) => {
  const good = await httpBackend('good');
  const bad = await httpBackend('bad', (_req, res) => res.writeHead(500).end('broken'));
  t.after(() => Promise.all([good.close(), bad.close()]).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t, { outlier: { consecutiveFailures: 5, baseEjectionMs: 60_000, maxEjectionMs: 60_000 } });
  p.put('good', { port: good.endpoint.port, servicePort, mode: 'http' });
  p.put('bad', { port: bad.endpoint.port, servicePort, mode: 'http' });
  await p.apply();
  for (let sent = 0; ((await p.frontend(servicePort))?.http?.ejections ?? 0) === 0; sent += 5) {
    assert.ok(sent < 500, `no ejection after ${sent} requests`);
    for (let i = 0; i < 5; i++) await getOnce(servicePort);
  }

  // Slot 0 dies and is replaced: its replacement never saw the ejection happen.
  p.lb.workerPlane?.injectFault(0, 'exit');
  await eventually(async () => {
    const w = (await p.workers())[0]!;
    assert.equal(w.restarts, 1);
    assert.equal(w.state, 'running');
  });
  // Once every worker applied the table (the replacement's first), it has been told the ejections so far.
  await p.apply();
  const badSeen = bad.seen.length;
  const answers = [];
  for (let i = 0; i < 200; i += 10) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => getOnce(servicePort)))));
  const workers = await p.workers();
  t.diagnostic(`requests to bad after the replacement: ${bad.seen.length - badSeen}; requests per worker ${workers.map((w) => w.requests).join(' / ')}`);
  assert.ok(workers[0]!.requests > 0, 'the replacement served some of the requests');
  assert.equal(bad.seen.length - badSeen, 0, 'no worker, the replacement included, sent bad a request');
  assert.deepEqual([...new Set(answers.map((a) => `${a.status} ${a.body}`))], ['200 good']);
});

test('TCP mode: an endpoint one worker ejected after refused connects is skipped by every worker', { timeout: 30_000 }, async (t) => {
  const good = await startBackend({ name: 'good' });
  t.after(() => good.close());
  const deadPort = await freePort();
  const servicePort = await freePort();
  const p = startWorkersLb(t, { slowStartMs: 0, outlier: { consecutiveFailures: 5, baseEjectionMs: 60_000, maxEjectionMs: 60_000 } });
  p.put('good', { port: good.endpoint.port, servicePort, mode: 'tcp' });
  p.put('bad', { port: deadPort, servicePort, mode: 'tcp' });
  await p.apply();
  const badKey = 'host-bad-bad';

  // New connections until one worker ejects `bad` (5 refused connects there); each is retried on good.
  let sent = 0;
  const answers: string[] = [];
  while (((await p.frontend(servicePort))?.ejections ?? 0) === 0) {
    assert.ok(sent < 500, `no ejection after ${sent} connections`);
    for (let i = 0; i < 5; i++, sent++) answers.push((await exchange(servicePort, 'x')).toString());
  }
  const before = await p.frontend(servicePort);
  const badBefore = before?.endpoints.find((e) => e.key === badKey);
  assert.ok((badBefore?.ejectedUntilMs ?? 0) > Date.now() + 30_000, 'bad is ejected for the configured period');
  const workersBefore = await p.workers();

  for (let i = 0; i < 200; i += 10) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => exchange(servicePort, 'x')))).map(String));
  assert.deepEqual([...new Set(answers)], ['good'], 'every client connection was served, before and after the ejection');
  const after = await p.frontend(servicePort);
  assert.equal(after?.endpoints.find((e) => e.key === badKey)?.connectErrors, badBefore?.connectErrors, 'no worker tried bad again');
  const workersAfter = await p.workers();
  t.diagnostic(
    `ejected after ${sent} connections (${badBefore?.connectErrors} refused connects); connections per worker after the ejection: ` +
      workersAfter.map((w, i) => w.connectionsTotal - (workersBefore[i]?.connectionsTotal ?? 0)).join(' / '),
  );
  workersAfter.forEach((w, i) => assert.ok(w.connectionsTotal > (workersBefore[i]?.connectionsTotal ?? 0), `worker ${i} served none of the connections after the ejection`));
});
