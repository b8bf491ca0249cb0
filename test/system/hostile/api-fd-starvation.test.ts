/**
 * Issue #11 row 5 (the API's part): under `ulimit -n 256`, 225 idle connections to the API
 * used to take the descriptors health checks need. Now the API takes at most its share of the
 * limit less the control plane's 128 (a quarter: 32 here), an idle connection is answered 408 and closed after the head timeout
 * (10 s), and the agent's health checks (HttpGet, a socket each round) keep passing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const agents: AgentProcess[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
});

function established(port: number): number {
  const out = execFileSync('ss', ['-tnH', 'state', 'established', '(', 'sport', '=', `:${port}`, ')'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

it('225 idle API connections under ulimit -n 256 do not starve health checks', { timeout: 60_000 }, async (t) => {
  const backend = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  t.after(() => backend.close());
  const backendPort = (backend.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-fd-'));
  const file = join(dir, 'static.json');
  writeFileSync(
    file,
    JSON.stringify([{ Service: { Name: 'checked', Image: 'img:1', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: 20002 }] }, Check: { Type: 'HttpGet', Args: `http://127.0.0.1:${backendPort}/` } }]),
  );
  const agent = startAgent(['--hostname', 'fd', '--discover', 'static', '--static-config', file, '--http-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy', '--bind-port', String(await freePort())], {}, { fdLimit: 256 });
  agents.push(agent);
  const api = await agent.apiUrl();
  const port = Number(new URL(api).port);
  const pid = agent.child.pid ?? 0;
  const status = async (): Promise<number | undefined> => {
    const doc = (await (await fetch(`${api}/api/state.json`)).json()) as { Servers: Record<string, { Services: Record<string, { Status: number }> }> };
    return Object.values(doc.Servers['fd']?.Services ?? {})[0]?.Status;
  };
  await eventually(async () => assert.equal(await status(), 0), { timeoutMs: 15_000, intervalMs: 100 });
  const listening = agent.logs.find((l) => l['msg'] === 'HTTP API listening');
  assert.equal(listening?.['maxConnections'], 32, "the API's share of the limit less the reserve");
  const fdsBefore = readdirSync(`/proc/${pid}/fd`).length;

  for (let i = 0; i < 225; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    sockets.push(s);
  }
  await eventually(() => assert.ok(established(port) >= 32), { timeoutMs: 5000, intervalMs: 50 });
  await new Promise((r) => setTimeout(r, 500));
  const held = established(port);
  const fdsPeak = readdirSync(`/proc/${pid}/fd`).length;
  assert.ok(held <= 32, `the agent holds ${held} API connections`);
  assert.ok(fdsPeak < 256 - 64, `the agent has ${fdsPeak} fds open (limit 256)`);
  // Health checks go on: two more rounds (3 s apart) pass while the idle connections sit there.
  const checksBefore = agent.logs.length;
  await new Promise((r) => setTimeout(r, 7000));
  const unhealthy = agent.logs.slice(checksBefore).filter((l) => /^Service status changed/.test(String(l['msg'])) && l['statusCode'] !== 0);
  assert.deepEqual(unhealthy, [], 'no status change while the API is flooded');
  // The idle connections are answered 408 and closed after the 10 s head timeout: the API answers again.
  await eventually(async () => assert.equal(await status(), 0), { timeoutMs: 20_000, intervalMs: 500 });
  const emfile = agent.logs.filter((l) => /EMFILE/.test(JSON.stringify(l))).length;
  t.diagnostic(`fds before ${fdsBefore}, with 225 idle connections ${fdsPeak} (limit 256); API connections held ${held} (cap 32); EMFILE log lines ${emfile}`);
  assert.equal(emfile, 0);
});
