import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { freePort } from '../../helpers/free-port.js';
import { eventually } from '../../helpers/eventually.js';
import { percentile, startProxyAgent, statuses } from './proxy-agent.js';

// Issue #11 row 5 (proxy part): under `ulimit -n 256`, a flood of connections at the proxy
// took every fd, so this host's own health checks failed with EMFILE and its healthy services
// were announced UNHEALTHY cluster-wide. Now the proxy holds at most (256 − 128 − 32 for the API) / 2 = 48
// client connections (2 fds each) and closes the rest at accept.

const FD_LIMIT = 256;
const FLOOD = 1000;
/** Long enough for three health rounds (one every 3 s). */
const HOLD_MS = 9_000;

test('a flood of 1,000 connections under ulimit -n 256: fds stay in reserve, the health check and the API keep working', { timeout: 60_000 }, async (t) => {
  // The backend: an HTTP server, the health check's target, which also holds the proxied
  // connections open (the proxied service is in TCP mode, so each admitted connection holds
  // its upstream connection too: 2 fds in the agent).
  const backendSockets = new Set<Socket>();
  const backend = createHttpServer((_req, res) => res.end('ok'));
  backend.on('connection', (s: Socket) => {
    backendSockets.add(s);
    s.on('close', () => backendSockets.delete(s));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { for (const s of backendSockets) s.destroy(); backend.close(() => resolve()); }));
  const servicePort = await freePort();
  const agent = await startProxyAgent(
    [{ name: 'web', port: (backend.address() as AddressInfo).port, servicePort, mode: 'tcp' }],
    { ulimitFiles: FD_LIMIT, args: process.env['PROXY_FDS_OLD'] === '1' ? ['--proxy-max-connections', '4096'] : [] },
  );
  t.after(() => agent.stop());
  await eventually(async () => assert.deepEqual((await statuses(agent, 'web')).statuses, [0]), { timeoutMs: 15_000, intervalMs: 200 });
  const started = agent.logs.find((l) => /load balancer capped at/.test(String(l['msg'] ?? '')));
  assert.ok(started, 'the fd limits and the cap are logged at start');
  t.diagnostic(`start line: ${String(started['msg'])}`);
  await eventually(async () => {
    const { body } = await agent.getJson<{ routes: Array<{ servicePort: number; listener: { listening: boolean } | null }> }>('/api/proxy.json');
    assert.equal(body.routes.find((r) => r.servicePort === servicePort)?.listener?.listening, true);
  }, { timeoutMs: 15_000, intervalMs: 200 });
  const fdsBefore = agent.fds();

  // The flood: 1,000 connections, opened as fast as the kernel takes them, held open.
  const clients: Socket[] = [];
  let refusedByProxy = 0;
  let open = 0;
  t.after(() => { for (const c of clients) c.destroy(); });
  await Promise.all(
    Array.from({ length: FLOOD }, () =>
      new Promise<void>((resolve) => {
        const c = connect({ host: '127.0.0.1', port: servicePort });
        clients.push(c);
        c.on('error', () => undefined);
        c.once('connect', () => { open++; resolve(); });
        c.once('close', () => { refusedByProxy++; resolve(); });
      }),
    ),
  );

  // While it lasts (every connection is kept open by the test): count the agent's fds, watch the service's status, time the API.
  const apiMs: number[] = [];
  let maxFds = 0;
  const seenStatuses = new Set<number>();
  const holdUntil = Date.now() + HOLD_MS;
  while (Date.now() < holdUntil) {
    maxFds = Math.max(maxFds, agent.fds());
    const s = await statuses(agent, 'web');
    apiMs.push(s.ms);
    for (const st of s.statuses) seenStatuses.add(st);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { body: proxy } = await agent.getJson<{ connectionBudget: { maxConnections: number; connections: number; rejectedTotal: number; fdLimit: number; reserveFds: number } }>('/api/proxy.json');
  const budget = proxy.connectionBudget;
  const stillOpen = clients.filter((c) => !c.destroyed && c.readyState === 'open').length;
  t.diagnostic(`fds: ${fdsBefore} before, at most ${maxFds} of ${FD_LIMIT} during the flood (${FD_LIMIT - maxFds} left)`);
  t.diagnostic(`connections: ${FLOOD} opened, ${stillOpen} still open (held by the proxy), ${refusedByProxy} closed; budget ${JSON.stringify(budget)}`);
  t.diagnostic(`API /api/services.json during the flood: ${apiMs.length} calls, p50 ${percentile(apiMs, 0.5).toFixed(1)} ms, p95 ${percentile(apiMs, 0.95).toFixed(1)} ms, max ${Math.max(...apiMs).toFixed(1)} ms`);
  t.diagnostic(`service statuses seen during the flood: ${[...seenStatuses].join(', ')} (0 = ALIVE)`);

  assert.equal(started['fdLimitSoft'], FD_LIMIT);
  assert.equal(budget.maxConnections, 48);
  assert.ok(stillOpen >= 44 && stillOpen <= 48, `the proxy served up to its cap: ${stillOpen} connections held`);
  assert.equal(budget.fdLimit, FD_LIMIT);
  assert.ok(budget.connections <= 48, `${budget.connections} proxied connections`);
  assert.ok(budget.rejectedTotal >= FLOOD - 48 - 10, `refused and counted: ${budget.rejectedTotal}`);
  assert.ok(maxFds <= FD_LIMIT - 64, `the agent kept fds in reserve: at most ${maxFds} of ${FD_LIMIT} used`);
  assert.deepEqual([...seenStatuses], [0], 'the service stayed ALIVE: its health check kept passing');
  assert.ok(percentile(apiMs, 0.5) < 50, `API p50 ${percentile(apiMs, 0.5)} ms`);
  assert.ok(Math.max(...apiMs) < 500, `API max ${Math.max(...apiMs)} ms`);
  assert.ok(agent.logs.some((l) => l['code'] === 'SC_ERR_PROXY_FD_BUDGET'), 'the refusals were logged with their code');
  assert.ok(!agent.logs.some((l) => /EMFILE/.test(JSON.stringify(l))), 'no EMFILE anywhere in the agent log');
});
