import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SIDECAR_BIN, startAgent } from '../helpers/agent-process.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from './proxy/proxy-harness.js';

async function backend(name: string): Promise<number> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

test('proxy --follow serves from the watch stream and keeps serving while the agent is down', { timeout: 90_000 }, async () => {
  const port = await backend('only');
  const servicePort = await freePort();
  const httpPort = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'sidecar-follow-')), 'static.json');
  writeFileSync(
    file,
    JSON.stringify([{ Service: { Name: 'web', Image: 'web:1', Ports: [{ Type: 'tcp', Port: port, ServicePort: servicePort }], ProxyMode: 'tcp' }, Check: { Type: 'AlwaysSuccessful' } }]),
  );
  const agentArgs = ['--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', String(httpPort), '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy'];
  let agent = startAgent(agentArgs);
  after(() => agent.stop());
  await agent.apiUrl();

  const follower = spawn(SIDECAR_BIN, ['proxy', '--follow', `127.0.0.1:${httpPort}`, '--proxy-bind-ip', '127.0.0.1', '--logging-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let followerLog = '';
  follower.stdout.setEncoding('utf8').on('data', (c: string) => (followerLog += c));
  after(() => {
    follower.kill('SIGTERM');
  });
  const get = async () => (await fetch(`http://127.0.0.1:${servicePort}/`)).text();
  await eventually(async () => assert.equal(await get(), 'only'), { timeoutMs: 15_000, intervalMs: 100 });

  agent.child.kill('SIGKILL');
  await eventually(() => assert.match(followerLog, /Lost the Sidecar state stream/), { timeoutMs: 10_000 });
  for (let i = 0; i < 5; i++) assert.equal(await get(), 'only', 'still served while the agent is down');

  agent = startAgent(agentArgs);
  await agent.apiUrl();
  await eventually(() => assert.equal(followerLog.match(/Following the Sidecar state stream/g)?.length, 2), { timeoutMs: 15_000 });
  // The restarted agent re-announces the same backend under a new static ID.
  await eventually(async () => assert.equal(await get(), 'only'), { timeoutMs: 10_000, intervalMs: 100 });
});

test('proxy --follow refuses a bad target', async () => {
  const child = spawn(SIDECAR_BIN, ['proxy', '--follow', 'no-port-here'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /expected host:port/);
});
