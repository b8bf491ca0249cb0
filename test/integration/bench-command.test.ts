import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runAgentToExit } from '../helpers/agent-process.js';

test('sidecar bench drives load, shows progress and a summary', { timeout: 30_000 }, async () => {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const { code, stdout } = await runAgentToExit(['bench', `http://127.0.0.1:${port}/`, '-d', '2', '-c', '4']);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /\[1\/2 s\] [\d,]+ req\/s/);
  assert.match(stdout, /Summary for http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(stdout, /2xx [1-9][\d]*, non-2xx 0/);
});

test('sidecar bench refuses what is not an http URL, and fails on errors', async () => {
  assert.equal((await runAgentToExit(['bench', 'not-a-url'])).code, 2);
  assert.equal((await runAgentToExit(['bench', 'ftp://127.0.0.1/'])).code, 2);
  const server = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { code, stdout } = await runAgentToExit(['bench', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '-d', '1', '-c', '1']);
  assert.equal(code, 1);
  assert.match(stdout, /non-2xx [1-9]/);
});
