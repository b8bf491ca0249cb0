import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { freePort } from '../../helpers/free-port.js';
import { eventually } from '../../helpers/eventually.js';
import { startProxyAgent, statuses, type ProxyAgent } from './proxy-agent.js';

// Issue #11 rows 8 and 9 against a real agent: HTTP backends as child processes that can be
// stopped (SIGSTOP), resumed and killed.

/** A backend process answering its name on `port` (fixed, so it can be restarted there). */
async function startBackend(name: string, port: number): Promise<ChildProcess> {
  const script = `require('node:http').createServer((q, s) => s.end(${JSON.stringify(name)})).listen(${port}, '127.0.0.1', () => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: string) => c.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`backend ${name} exited ${code}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await once(child, 'exit');
}

interface Answer {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly body: string;
}

/** One request on a new connection; status 0 for a closed connection. */
function hit(port: number): Promise<Answer> {
  const start = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ start, end: Date.now(), status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ start, end: Date.now(), status: 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ start, end: Date.now(), status: 0, body: '' }));
    req.end();
  });
}

/** `workers` clients sending requests back to back until `stop()`. */
function load(port: number, workers: number): { answers: Answer[]; stop: () => Promise<void> } {
  const answers: Answer[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) answers.push(await hit(port));
  });
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function twoBackendAgent(t: { after(fn: () => Promise<void>): void }, args: readonly string[]) {
  const ports = { a: await freePort(), b: await freePort() };
  const backends = { a: await startBackend('a', ports.a), b: await startBackend('b', ports.b) };
  t.after(() => Promise.all([kill(backends.a), kill(backends.b)]).then(() => undefined));
  const servicePort = await freePort();
  const agent: ProxyAgent = await startProxyAgent(
    [
      { name: 'web', port: ports.a, servicePort, mode: 'http' },
      { name: 'web', port: ports.b, servicePort, mode: 'http' },
    ],
    { args: ['--proxy-slow-start', '0', ...args] },
  );
  t.after(() => agent.stop());
  await eventually(async () => assert.deepEqual((await statuses(agent, 'web')).statuses, [0, 0]), { timeoutMs: 15_000, intervalMs: 200 });
  await eventually(async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await hit(servicePort)).body);
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  }, { timeoutMs: 10_000, intervalMs: 100 });
  return { ports, backends, servicePort, agent };
}

interface ProxyDoc {
  routes: Array<{ servicePort: number; listener: { http?: { ejections: number; endpoints: Array<{ key: string; ejectedUntilMs: number }> } } | null }>;
}

/** Status of the instance on `port` (from /api/services.json). */
async function statusOf(agent: ProxyAgent, port: number): Promise<number | undefined> {
  const { body } = await agent.getJson<{ Services: Record<string, Array<{ Status: number; Ports: Array<{ Port: number }> }>> }>('/api/services.json');
  return body.Services['web']?.find((s) => s.Ports[0]?.Port === port)?.Status;
}

test('row 9: a SIGSTOPped backend: 504 after the 2 s server timeout, ejected after repeated time-outs, new requests go to the other', { timeout: 60_000 }, async (t) => {
  const { ports, backends, servicePort, agent } = await twoBackendAgent(t, ['--proxy-server-timeout', '2s']);
  const traffic = load(servicePort, 12);
  await new Promise((r) => setTimeout(r, 500));
  const stoppedAt = Date.now();
  backends.a.kill('SIGSTOP');

  // Watch for the ejection (proxy counters) and for the health check (catalog status).
  let ejectedAt = 0;
  let unhealthyAt = 0;
  await eventually(async () => {
    const now = Date.now();
    const { body } = await agent.getJson<ProxyDoc>('/api/proxy.json');
    const http = body.routes.find((r) => r.servicePort === servicePort)?.listener?.http;
    if (ejectedAt === 0 && (http?.ejections ?? 0) > 0) ejectedAt = now;
    if (unhealthyAt === 0 && (await statusOf(agent, ports.a)) !== 0) unhealthyAt = now;
    assert.ok(ejectedAt > 0 && unhealthyAt > 0);
  }, { timeoutMs: 15_000, intervalMs: 50 });
  await new Promise((r) => setTimeout(r, 1500));
  await traffic.stop();
  const answers = traffic.answers;

  const timeouts = answers.filter((a) => a.status === 504);
  const timeoutMs = timeouts.map((a) => a.end - a.start);
  // Requests sent once `a` was ejected: all answered by `b`, without waiting.
  const after = answers.filter((a) => a.start > ejectedAt + 100);
  const afterSlow = after.filter((a) => a.end - a.start > 1000);
  t.diagnostic(`504s: ${timeouts.length}, after ${Math.min(...timeoutMs)}–${Math.max(...timeoutMs)} ms (server timeout 2000 ms)`);
  t.diagnostic(`ejected ${ejectedAt - stoppedAt} ms after SIGSTOP; health check marked it non-ALIVE after ${unhealthyAt - stoppedAt} ms`);
  t.diagnostic(`after the ejection: ${after.length} requests, ${after.filter((a) => a.body === 'b').length} answered by b, ${afterSlow.length} slower than 1 s`);

  assert.ok(timeouts.length >= 5, `${timeouts.length} time-outs`);
  for (const ms of timeoutMs) assert.ok(ms >= 1900 && ms < 4000, `a 504 after ${ms} ms`);
  assert.ok(ejectedAt - stoppedAt < 4000, `ejected ${ejectedAt - stoppedAt} ms after SIGSTOP`);
  assert.ok(after.length > 20, `${after.length} requests after the ejection`);
  assert.deepEqual(new Set(after.map((a) => `${a.status} ${a.body}`)), new Set(['200 b']));
  assert.equal(afterSlow.length, 0);

  // Resumed, it comes back once its health check passes.
  t.diagnostic(`status of a before SIGCONT: ${await statusOf(agent, ports.a)}`);
  backends.a.kill('SIGCONT');
  const resumedAt = Date.now();
  await eventually(async () => assert.equal((await hit(servicePort)).body, 'a'), { timeoutMs: 15_000, intervalMs: 100 });
  t.diagnostic(`back in rotation ${Date.now() - resumedAt} ms after SIGCONT`);
});

test('row 8: a backend killed and restarted 3 s later gets its share again within seconds of its health check passing', { timeout: 60_000 }, async (t) => {
  const { ports, backends, servicePort, agent } = await twoBackendAgent(t, []);
  const traffic = load(servicePort, 4);
  await new Promise((r) => setTimeout(r, 500));
  const killedAt = Date.now();
  backends.a.kill('SIGKILL');
  await once(backends.a, 'exit');
  // The outage itself: 3 s down (the scenario of row 8, not a wait for a condition).
  await new Promise((r) => setTimeout(r, 3000));
  backends.a = await startBackend('a', ports.a);
  const restartedAt = Date.now();
  let aliveAt = 0;
  const backAt = await eventually(
    async () => {
      if (aliveAt === 0 && (await statusOf(agent, ports.a)) === 0) aliveAt = Date.now();
      const first = traffic.answers.find((a) => a.start > restartedAt && a.body === 'a');
      assert.ok(first);
      return first.end;
    },
    { timeoutMs: 40_000, intervalMs: 50 },
  );
  await new Promise((r) => setTimeout(r, 2000));
  await traffic.stop();
  const window = traffic.answers.filter((a) => a.start > backAt && a.start < backAt + 2000);
  const share = window.filter((a) => a.body === 'a').length / Math.max(1, window.length);
  const { body } = await agent.getJson<ProxyDoc>('/api/proxy.json');
  const ejections = body.routes.find((r) => r.servicePort === servicePort)?.listener?.http?.ejections ?? 0;
  const failed = traffic.answers.filter((a) => a.status !== 200);
  t.diagnostic(`killed, restarted 3 s later; ejections: ${ejections}; ALIVE again (as seen by polling) ${aliveAt === 0 ? '?' : aliveAt - restartedAt} ms after the restart`);
  t.diagnostic(`first answer from a ${backAt - restartedAt} ms after the restart; its share in the next 2 s: ${(share * 100).toFixed(0)} % of ${window.length} requests`);
  t.diagnostic(`down ${restartedAt - killedAt} ms; client-visible failures: ${failed.length} of ${traffic.answers.length} requests ${JSON.stringify([...new Set(failed.map((f) => f.status))])}`);
  assert.ok(backAt - restartedAt < 6_000, `back after ${backAt - restartedAt} ms (the health check passes within ~3 s; without forgiveness the ejection held it out 10 s, 30 s before)`);
  assert.ok(share > 0.3, `share ${share}`);
});
