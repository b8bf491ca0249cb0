/**
 * Issue #11 row 6: 1,000 `/api/watch` clients that never read, and 150 changes, used to
 * pile 1.12 GB into kernel send queues. Against a real agent (150 static services, so each
 * document is tens of KiB): 1,000 never-reading clients connect, 150 drains follow, and
 * - at most --api-max-watchers (64) are served, the rest get 503 or are refused at the
 *   connection cap;
 * - the sum of Send-Q on the agent's API port (`ss -tn`) and the agent's RSS stay bounded;
 * - clients that do not read are dropped after the stall timeout, which frees their queues;
 * - a normal GET answers fast throughout.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const CLIENTS = 1000;
const CHANGES = 150;
const SERVICES = 150;

const agents: AgentProcess[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
});

/** Sum of Send-Q over the agent's connections on its API port, and how many there are. */
function sendQueues(port: number): { bytes: number; connections: number } {
  const out = execFileSync('ss', ['-tnH', '(', 'sport', '=', `:${port}`, ')'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let bytes = 0;
  let connections = 0;
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    connections++;
    bytes += Number(cols[2] ?? 0);
  }
  return { bytes, connections };
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** Node code for the prober process: one GET of argv[1] every 20 ms, its time in ms on a line. */
const PROBER = `
const url = process.argv[1];
(async () => {
  for (;;) {
    const start = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) { console.log('status ' + res.status); process.exit(1); }
    console.log((performance.now() - start).toFixed(2));
    await new Promise((r) => setTimeout(r, 20));
  }
})();
`;

/** A watch client that sends its request and never reads; resolves with the status line it got, if any. */
function neverReadingWatcher(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    sockets.push(s);
    s.on('error', () => resolve('error'));
    s.on('close', () => resolve('closed'));
    s.once('connect', () => {
      s.write('GET /api/watch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      // Read the status line, then never read again: the socket stays paused.
      s.once('data', (c: Buffer) => {
        s.pause();
        resolve(c.toString('latin1', 0, 12));
      });
    });
  });
}

it('1,000 never-reading watch clients and 150 changes: bounded queues and memory, API answering throughout', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-watch-flood-'));
  const file = join(dir, 'static.json');
  const entries = Array.from({ length: SERVICES }, (_, i) => ({
    Service: { Name: `svc-${i}`, Image: `registry.example/team/svc-${i}:${'0'.repeat(40)}`, Ports: [{ Type: 'tcp', Port: 21000 + i, ServicePort: 21000 + i }] },
    Check: { Type: 'AlwaysSuccessful' },
  }));
  writeFileSync(file, JSON.stringify(entries));
  const agent = startAgent(
    ['--hostname', 'flood', '--discover', 'static', '--static-config', file, '--http-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy', '--bind-port', String(await freePort()), '--api-watch-stall-timeout', '5s'],
  );
  agents.push(agent);
  const api = await agent.apiUrl();
  const port = Number(new URL(api).port);
  const pid = agent.child.pid ?? 0;
  const ids = await eventually(
    async () => {
      const doc = (await (await fetch(`${api}/api/state.json`)).json()) as { Servers: Record<string, { Services: Record<string, { ID: string; Status: number }> }> };
      const list = Object.values(doc.Servers['flood']?.Services ?? {});
      assert.equal(list.filter((s) => s.Status === 0).length, SERVICES);
      return list.map((s) => s.ID);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  const docBytes = (await (await fetch(`${api}/api/services.json`)).arrayBuffer()).byteLength;
  const rssBefore = rssKiB(pid);
  const queuesBefore = sendQueues(port);

  // The GETs come from a process of their own, so the flood's clients in this process do not
  // delay them: what is measured is the agent's answer time.
  let phase = 'connect';
  const slowest = { ms: 0, phase: '' };
  const latencies: number[] = [];
  const prober = spawn(process.execPath, ['-e', PROBER, `${api}/api/services/svc-7.json`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let partial = '';
  prober.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const ms = Number(line);
      if (!Number.isFinite(ms)) continue;
      latencies.push(ms);
      if (ms > slowest.ms) Object.assign(slowest, { ms, phase });
    }
  });
  t.after(() => prober.kill());
  await eventually(() => assert.ok(latencies.length > 0), { timeoutMs: 5000 });

  const answers = await Promise.all(Array.from({ length: CLIENTS }, () => neverReadingWatcher(port)));
  const served = answers.filter((a) => a.startsWith('HTTP/1.1 200')).length;
  const refused503 = answers.filter((a) => a.startsWith('HTTP/1.1 503')).length;

  phase = 'changes';
  let peak = { bytes: 0, connections: 0 };
  let rssPeak = rssBefore;
  for (let i = 0; i < CHANGES; i++) {
    const res = await fetch(`${api}/api/services/${ids[i % ids.length]}/drain`, { method: 'POST' });
    assert.equal(res.status, 202);
    if (i % 10 === 9) {
      await new Promise((r) => setTimeout(r, 20));
      const q = sendQueues(port);
      if (q.bytes > peak.bytes) peak = q;
      rssPeak = Math.max(rssPeak, rssKiB(pid));
    }
  }
  const afterChanges = sendQueues(port);
  if (afterChanges.bytes > peak.bytes) peak = afterChanges;
  phase = 'stall drop';
  // The stall timeout (5 s here) drops every client that does not read, freeing its queue.
  const dropped = await eventually(
    () => {
      const q = sendQueues(port);
      assert.ok(q.bytes < 1024 * 1024, `Send-Q still ${q.bytes} bytes`);
      return q;
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  prober.kill();
  await once(prober, 'exit');
  const rssAfter = rssKiB(pid);
  latencies.sort((a, b) => a - b);
  const p = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const dropLines = agent.logs.filter((l) => l['msg'] === 'watch client dropped: it does not read its stream').length;

  t.diagnostic(`state document ${docBytes} bytes; ${CLIENTS} clients: ${served} served, ${refused503} got 503, ${CLIENTS - served - refused503} refused at the connection cap`);
  t.diagnostic(`Send-Q on the API port: before ${queuesBefore.bytes} B, peak ${(peak.bytes / 1048576).toFixed(1)} MiB over ${peak.connections} connections, after the stall drop ${dropped.bytes} B; ${dropLines} drop lines`);
  t.diagnostic(`agent RSS: before ${(rssBefore / 1024).toFixed(0)} MiB, peak ${(rssPeak / 1024).toFixed(0)} MiB, after ${(rssAfter / 1024).toFixed(0)} MiB`);
  t.diagnostic(`GET /api/services/svc-7.json during the run (${latencies.length} requests): p50 ${p(0.5).toFixed(1)} ms, p95 ${p(0.95).toFixed(1)} ms, max ${p(1).toFixed(1)} ms (during ${slowest.phase})`);

  assert.ok(served <= 64, `at most 64 watch clients served, got ${served}`);
  assert.ok(served >= 1);
  assert.ok(peak.bytes < 400 * 1024 * 1024, `Send-Q peak ${peak.bytes} bytes (was 1.12 GB before the caps)`);
  assert.ok(rssPeak - rssBefore < 200 * 1024, `RSS grew by ${rssPeak - rssBefore} KiB`);
  assert.equal(dropLines, served, 'each stalled client dropped and logged once');
  assert.ok(p(0.95) < 50, `p95 GET latency ${p(0.95)} ms`);
  assert.ok(p(1) < 500, `max GET latency ${p(1)} ms`);
});
