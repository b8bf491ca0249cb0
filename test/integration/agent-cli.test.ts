import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startAgent, runAgentToExit } from '../helpers/agent-process.js';
import { eventually } from '../helpers/eventually.js';

interface Received {
  body: string;
  contentType: string | undefined;
  cookie: string | undefined;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
  });
}

test('a static agent reports a live and a dead backend, drains, and posts to listeners', { timeout: 60_000 }, async () => {
  const live = createServer((_req, res) => res.writeHead(200).end('ok'));
  const livePort = await listen(live);
  const closed = createServer();
  const deadPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const received: Received[] = [];
  const listener = createServer(async (req, res) => {
    received.push({ body: await readBody(req), contentType: req.headers['content-type'], cookie: req.headers.cookie });
    res.writeHead(200).end();
  });
  const listenerPort = await listen(listener);

  const dir = mkdtempSync(join(tmpdir(), 'sidecar-agent-'));
  const file = join(dir, 'static.json');
  writeFileSync(
    file,
    JSON.stringify([
      { Service: { Name: 'live-svc', Image: 'live:1', Ports: [{ Type: 'tcp', Port: livePort, ServicePort: 10001 }], ProxyMode: 'http' }, Check: { Type: 'HttpGet', Args: 'http://{{ host }}:{{ tcp 10001 }}/' } },
      { Service: { Name: 'dead-svc', Image: 'dead:1', Ports: [{ Type: 'tcp', Port: deadPort, ServicePort: 10002 }], ProxyMode: 'tcp' }, Check: { Type: 'HttpGet', Args: 'http://{{ host }}:{{ tcp 10002 }}/' } },
    ]),
  );

  const agent = startAgent(
    ['--hostname', 'h1', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy'],
    { LISTENERS_URLS: `http://127.0.0.1:${listenerPort}/update` },
  );
  after(() => agent.stop());
  const api = await agent.apiUrl();

  type StateDoc = { Servers: Record<string, { Services: Record<string, { ID: string; Name: string; Status: number }> }> };
  const services = async () => {
    const state = (await (await fetch(`${api}/api/state.json`)).json()) as StateDoc;
    return Object.values(state.Servers['h1']?.Services ?? {});
  };
  const started = Date.now();
  await eventually(
    async () => {
      const byName = new Map((await services()).map((s) => [s.Name, s.Status]));
      assert.equal(byName.get('live-svc'), 0);
      assert.equal(byName.get('dead-svc'), 2);
    },
    { timeoutMs: 5000 },
  );
  assert.ok(Date.now() - started < 5000);

  const liveId = (await services()).find((s) => s.Name === 'live-svc')?.ID ?? '';
  const drain = await fetch(`${api}/api/services/${liveId}/drain`, { method: 'POST' });
  assert.equal(drain.status, 202);
  assert.match(await drain.text(), /set to DRAINING/);
  await eventually(async () => assert.equal((await services()).find((s) => s.ID === liveId)?.Status, 4));

  const missing = await fetch(`${api}/api/services/nope/drain`, { method: 'POST' });
  assert.equal(missing.status, 404);

  await eventually(() => assert.ok(received.some((r) => r.body.includes('"Status":4'))), { timeoutMs: 5000 });
  const post = received[0];
  assert.equal(post?.contentType, 'application/json');
  assert.match(post?.cookie ?? '', /sidecar-session-host=/);
  const parsed = JSON.parse(post?.body ?? '{}') as { State?: unknown; ChangeEvent?: { PreviousStatus?: number } };
  assert.ok(parsed.State !== undefined && parsed.ChangeEvent?.PreviousStatus !== undefined);

  assert.equal(await agent.stop(), 0, 'SIGTERM stops the agent cleanly');
});

test('bad settings stop start-up with one error naming each one', async () => {
  const { code, stderr } = await runAgentToExit(['--http-port', 'abc', '--logging-level', 'loud'], { SIDECAR_BIND_PORT: '99999999' });
  assert.equal(code, 2);
  assert.match(stderr, /--http-port="abc"/);
  assert.match(stderr, /--logging-level="loud"/);
  assert.match(stderr, /SIDECAR_BIND_PORT="99999999"/);
});

test('a malformed static file at start-up is an error naming the file and position', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-bad-'));
  const file = join(dir, 'static.json');
  writeFileSync(file, '[\n  { "Service": { "Name": "x", }\n]\n');
  const { code, stdout } = await runAgentToExit(['--discover', 'static', '--static-config', file, '--http-port', '0', '--no-proxy', '--logging-format', 'json']);
  assert.equal(code, 1);
  assert.ok(stdout.includes(file), stdout);
  assert.match(stdout, /line 2/);
});

test('with no arguments the agent starts alone and explains what it found', { timeout: 30_000 }, async () => {
  const agent = startAgent(['--http-port', '0', '--bind-port', '0'], { DOCKER_URL: 'unix:///nonexistent/docker.sock' });
  after(() => agent.stop());
  await agent.apiUrl();
  const summary = agent.logs.find((l) => /running alone/.test(String(l['msg'])));
  assert.ok(summary !== undefined);
  assert.match(String(summary['msg']), /docker/);
  assert.equal(await agent.stop(), 0);
});

test('--version and --help', async () => {
  const version = await runAgentToExit(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  const help = await runAgentToExit(['agent', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--advertise-ip', '--cluster-ip', '--cluster-name', '--discover', '--logging-level', '--hostname', '--bind-port', '--http-port', '--http-bind', '--static-config', '--proxy-bind-ip', '--no-proxy', '--logging-format']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});
