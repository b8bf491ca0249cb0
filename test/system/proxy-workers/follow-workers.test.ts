import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SIDECAR_BIN, startAgent } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/free-port.js';

/*
 * `sidecar proxy --follow` with `--proxy-workers 2`: the follower's worker threads serve the
 * routes from the agent's watch stream, keep serving while the agent is down, take the new
 * table when it is back, and the follower exits cleanly on SIGTERM (no thread left).
 */

/** One GET on a new connection (so the follower's workers share them). */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' }, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

async function getMany(port: number, n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, () => get(port)));
}

test('proxy --follow --proxy-workers 2 serves from the watch stream, through an agent restart, and exits cleanly', { timeout: 90_000 }, async (t) => {
  const server: Server = createServer((_req, res) => res.end('only'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const servicePort = await freePort();
  const httpPort = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'sidecar-follow-workers-')), 'static.json');
  writeFileSync(
    file,
    JSON.stringify([{ Service: { Name: 'web', Image: 'web:1', Ports: [{ Type: 'tcp', Port: port, ServicePort: servicePort }], ProxyMode: 'http' }, Check: { Type: 'AlwaysSuccessful' } }]),
  );
  const agentArgs = ['--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', String(httpPort), '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy'];
  let agent = startAgent(agentArgs);
  t.after(async () => void (await agent.stop()));
  await agent.apiUrl();

  const follower = spawn(SIDECAR_BIN, ['proxy', '--follow', `127.0.0.1:${httpPort}`, '--proxy-bind-ip', '127.0.0.1', '--proxy-workers', '2', '--logging-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let followerLog = '';
  let followerErr = '';
  follower.stdout.setEncoding('utf8').on('data', (c: string) => (followerLog += c));
  follower.stderr.setEncoding('utf8').on('data', (c: string) => (followerErr += c));
  const followerExit = once(follower, 'exit') as Promise<[number | null, string | null]>;
  t.after(() => {
    if (follower.exitCode === null) follower.kill('SIGKILL');
  });
  await eventually(async () => assert.equal(await get(servicePort), '200 only'), { timeoutMs: 20_000, intervalMs: 100 });
  assert.match(followerLog, /2 worker thread\(s\) forward proxied connections/);
  assert.deepEqual([...new Set(await getMany(servicePort, 40))], ['200 only']);

  agent.child.kill('SIGKILL');
  await eventually(() => assert.match(followerLog, /Lost the Sidecar state stream/), { timeoutMs: 10_000 });
  assert.deepEqual([...new Set(await getMany(servicePort, 40))], ['200 only'], 'the workers keep serving while the agent is down');

  agent = startAgent(agentArgs);
  await agent.apiUrl();
  await eventually(() => assert.equal(followerLog.match(/Following the Sidecar state stream/g)?.length, 2), { timeoutMs: 15_000 });
  // The restarted agent re-announces the backend under a new static ID: a new table for both workers.
  await eventually(async () => assert.deepEqual([...new Set(await getMany(servicePort, 20))], ['200 only']), { timeoutMs: 10_000, intervalMs: 100 });

  follower.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const [code, signal] = await Promise.race([followerExit, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the follower did not exit within 10 s of SIGTERM')), 10_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, `exit ${code} ${signal}: ${followerErr}`);
  assert.doesNotMatch(followerLog, /SC_ERR_PROXY_WORKER_DIED/);
});
