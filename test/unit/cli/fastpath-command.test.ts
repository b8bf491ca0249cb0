import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { captureStream } from '../../helpers/capture-stream.js';
import { fastpathCommand } from '../../../src/cli/fastpath-command.js';
import { runCli } from '../../../src/cli/index.js';

/** Runs `sidecar fastpath <args>`: what it printed on stdout and stderr, and the exit code it set. */
async function run(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const stdout = captureStream();
  const stderr = captureStream();
  let code = 0;
  const command = fastpathCommand({ env: {}, stderr: stderr.stream, stdout: stdout.stream, setExitCode: (c) => (code = c) });
  command.exitOverride();
  await command.parseAsync([...args], { from: 'user' });
  return { stdout: stdout.text(), stderr: stderr.text(), code };
}

// An agent's /api/proxy.json as the test sets it (a real HTTP server on loopback).
let doc: { status: number; body: string } = { status: 200, body: '{}' };
let server: Server;
let api: string;
before(async () => {
  server = createServer((req, res) => {
    assert.equal(req.url, '/api/proxy.json');
    res.writeHead(doc.status, { 'Content-Type': 'application/json' }).end(doc.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const ON = {
  bindIp: '192.168.168.168',
  fastpath: {
    state: 'on',
    ports: [10500, 10600],
    applies: 3,
    failures: 0,
    lastApplyMs: 1.234,
    rulesReadAt: '2026-12-07T12:00:00.000Z',
    rules: [
      {
        servicePort: 10500,
        serviceName: 'echo',
        endpoints: [
          { key: 'h2-a1b2', ip: '10.78.0.2', port: 9000, connections: 12 },
          { key: 'h3-c3d4', ip: '10.78.0.3', port: 9000, connections: 1234 },
        ],
      },
      { servicePort: 10600, endpoints: [{ ip: '10.78.0.2', port: 5432, connections: 0 }] },
    ],
  },
};

test('fastpath show prints the rules per port: endpoints in round-robin order with their counters', async () => {
  doc = { status: 200, body: JSON.stringify(ON) };
  const { stdout, stderr, code } = await run(['show', '--api', api]);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(
    stdout,
    [
      'fast path: on; 3 transactions applied, 0 failed, the last in 1.2 ms',
      "the kernel's rules, read at 2026-12-07T12:00:00.000Z: 2 ports",
      '',
      'PORT   SERVICE  ENDPOINT  ADDRESS         CONNECTIONS',
      '10500  echo     h2-a1b2   10.78.0.2:9000           12',
      '                h3-c3d4   10.78.0.3:9000         1234',
      '10600  -        -         10.78.0.2:5432            0',
      '',
    ].join('\n'),
  );
});

test('fastpath show says when the rules could not be read back', async () => {
  doc = { status: 200, body: JSON.stringify({ fastpath: { ...ON.fastpath, rules: undefined, rulesError: 'nft exited with 1: Error: No such file or directory' } }) };
  const { stdout, code } = await run(['show', '--api', api]);
  assert.equal(code, 0);
  assert.match(stdout, /^the kernel's rules could not be read back: nft exited with 1: Error: No such file or directory$/m);
});

test('fastpath show says, in one line, that the fast path is off and why (exit 1)', async () => {
  doc = { status: 200, body: JSON.stringify({ fastpath: { state: 'off', reason: 'the agent lacks CAP_NET_ADMIN (nft: Operation not permitted)', ports: [], applies: 0, failures: 0 } }) };
  assert.deepEqual(await run(['show', '--api', api]), {
    stdout: 'fast path: off: the agent lacks CAP_NET_ADMIN (nft: Operation not permitted); the Node balancer serves TCP ports\n',
    stderr: '',
    code: 1,
  });
  doc = { status: 200, body: JSON.stringify({ bindIp: '192.168.168.168', routes: [] }) };
  const notAsked = await run(['show', '--api', api]);
  assert.equal(notAsked.code, 1);
  assert.equal(notAsked.stdout, `fast path: not enabled on the agent at ${api} (--proxy-tcp-fastpath is off); the Node balancer serves every port\n`);
  doc = { status: 404, body: '{"message":"Not Found - the load balancer is disabled (--no-proxy)"}' };
  const noProxy = await run(['show', '--api', api]);
  assert.equal(noProxy.code, 1);
  assert.match(noProxy.stdout, /without its load balancer \(--no-proxy\)/);
});

test('fastpath show names the URL when the agent cannot be reached or answers something else (exit 1)', async () => {
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  await once(closed, 'close');
  const refused = await run(['show', '--api', `http://127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, new RegExp(`^sidecar: cannot read the fast path from http://127\\.0\\.0\\.1:${port}/api/proxy\\.json: .*ECONNREFUSED`));
  doc = { status: 200, body: 'not json' };
  const garbled = await run(['show', '--api', api]);
  assert.equal(garbled.code, 1);
  assert.match(garbled.stderr, new RegExp(`cannot read the fast path from ${api}/api/proxy\\.json: .*JSON`));
  doc = { status: 500, body: '{"message":"Internal Server Error - boom"}' };
  assert.match((await run(['show', '--api', api])).stderr, /HTTP 500: .*boom/);
});

test('fastpath show refuses an --api that is not an http URL (exit 2)', async () => {
  const bad = await run(['show', '--api', 'localhost:7777']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--api="localhost:7777": expected the agent's API URL, e.g. http:\/\/127\.0\.0\.1:7777/);
});

test('the sidecar program has the command (runCli)', async () => {
  const stderr = captureStream();
  assert.equal(await runCli(['fastpath', 'show', '--api', 'ftp://x'], { env: {}, stderr: stderr.stream }), 2);
  assert.match(stderr.text(), /--api="ftp:\/\/x": expected the agent's API URL/);
});
