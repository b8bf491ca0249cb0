import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  AlwaysSuccessfulChecker,
  ExternalChecker,
  HttpGetChecker,
  TcpChecker,
  checkerFor,
  isKnownCheckType,
} from '../../../src/health/index.js';
import { eventually } from '../../helpers/eventually.js';

const live = (): AbortSignal => new AbortController().signal;

let server: http.Server;
let base: string;
let openResponses = 0;

before(async () => {
  server = http.createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        res.end('fine');
        return;
      case '/created':
        res.writeHead(204).end();
        return;
      case '/fail':
        res.writeHead(500).end('broken');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/redirect-abs':
        res.writeHead(301, { location: `${base}/fail` }).end();
        return;
      case '/no-location':
        res.writeHead(302).end();
        return;
      case '/endless':
        // A 200 whose body never ends: the checker must not wait for it.
        openResponses++;
        res.writeHead(200);
        res.write('x');
        res.on('close', () => openResponses--);
        return;
      case '/hang':
        openResponses++;
        res.on('close', () => openResponses--);
        return;
      default: {
        const hop = /^\/loop\/(\d+)$/.exec(req.url ?? '');
        if (hop !== null) {
          res.writeHead(302, { location: `/loop/${Number(hop[1]) + 1}` }).end();
          return;
        }
        res.writeHead(404).end();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('HttpGet: 2xx is healthy', async () => {
  const checker = new HttpGetChecker();
  assert.deepEqual(await checker.run(`${base}/ok`, live()), { result: 'healthy' });
  assert.deepEqual(await checker.run(`${base}/created`, live()), { result: 'healthy' });
});

test('HttpGet: other statuses are sickly, with the status in the error', async () => {
  const checker = new HttpGetChecker();
  const outcome = await checker.run(`${base}/fail`, live());
  assert.equal(outcome.result, 'sickly');
  assert.match(outcome.error ?? '', /HTTP 500/);
  assert.equal((await checker.run(`${base}/nope`, live())).result, 'sickly');
  assert.equal((await checker.run(`${base}/no-location`, live())).result, 'sickly');
});

test('HttpGet: follows relative and absolute redirects, at most 10', async () => {
  const checker = new HttpGetChecker();
  assert.deepEqual(await checker.run(`${base}/redirect`, live()), { result: 'healthy' });
  assert.equal((await checker.run(`${base}/redirect-abs`, live())).result, 'sickly');
  // /loop/0 → … → /loop/10 is ten redirects, and /loop/10 redirects once more.
  const looped = await checker.run(`${base}/loop/0`, live());
  assert.equal(looped.result, 'sickly');
  assert.match(looped.error ?? '', /stopped after 10 redirects/);
});

test('HttpGet: a connection error or a bad URL is unknown with the error', async () => {
  const checker = new HttpGetChecker();
  const refused = await checker.run(`http://127.0.0.1:${await closedPort()}/`, live());
  assert.equal(refused.result, 'unknown');
  assert.match(refused.error ?? '', /ECONNREFUSED/);
  assert.equal((await checker.run('not a url', live())).result, 'unknown');
  assert.match((await checker.run('ftp://127.0.0.1/', live())).error ?? '', /unsupported protocol scheme "ftp"/);
});

test('HttpGet: does not wait for the body, and closes the connection', async () => {
  const outcome = await new HttpGetChecker().run(`${base}/endless`, live());
  assert.deepEqual(outcome, { result: 'healthy' });
  await eventually(() => assert.equal(openResponses, 0));
});

test('HttpGet: abort settles at once and closes the request', async () => {
  const controller = new AbortController();
  const pending = new HttpGetChecker().run(`${base}/hang`, controller.signal);
  await eventually(() => assert.equal(openResponses, 1));
  controller.abort();
  assert.deepEqual(await pending, { result: 'unknown', error: 'aborted' });
  await eventually(() => assert.equal(openResponses, 0));
});

test('External: exit 0 is healthy, non-zero sickly with the code and output; no shell', async () => {
  const checker = new ExternalChecker();
  assert.deepEqual(await checker.run('true', live()), { result: 'healthy' });
  const failed = await checker.run('false', live());
  assert.equal(failed.result, 'sickly');
  assert.match(failed.error ?? '', /"false" exited with code 1/);
  const listed = await checker.run('ls /no/such/dir/for/sidecar', live());
  assert.equal(listed.result, 'sickly');
  assert.match(listed.error ?? '', /No such file/);
  // No shell: "|" and "false" are arguments to `true`, which ignores them.
  assert.deepEqual(await checker.run('true | false', live()), { result: 'healthy' });
  // Split on single spaces, like Go: two spaces give an empty argument (`test '' x` → exit 2).
  assert.deepEqual(await checker.run('test x', live()), { result: 'healthy' });
  assert.equal((await checker.run('test  x', live())).result, 'sickly');
});

test('External: a missing command is a clear error, not a crash', async () => {
  const outcome = await new ExternalChecker().run('/no/such/sidecar-check --flag', live());
  assert.equal(outcome.result, 'unknown');
  assert.match(outcome.error ?? '', /command not found: "\/no\/such\/sidecar-check"/);
  assert.equal((await new ExternalChecker().run('', live())).result, 'unknown');
});

test('External: abort kills the child', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-health-'));
  try {
    const script = join(dir, 'check.sh');
    const pidFile = join(dir, 'pid');
    await writeFile(script, '#!/bin/sh\necho $$ > "$1"\nexec sleep 30\n');
    await chmod(script, 0o755);
    const controller = new AbortController();
    const pending = new ExternalChecker().run(`${script} ${pidFile}`, controller.signal);
    const pid = await eventually(async () => Number((await readFile(pidFile, 'utf8')).trim()));
    assert.ok(pid > 0);
    controller.abort();
    assert.deepEqual(await pending, { result: 'unknown', error: 'aborted' });
    await eventually(() => assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Tcp: a completed connect is healthy, an error unknown, bad args unknown', async () => {
  const tcp = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = tcp.address() as AddressInfo;
    const checker = new TcpChecker();
    assert.deepEqual(await checker.run(`127.0.0.1:${port}`, live()), { result: 'healthy' });
    const refused = await checker.run(`127.0.0.1:${await closedPort()}`, live());
    assert.equal(refused.result, 'unknown');
    assert.match(refused.error ?? '', /ECONNREFUSED/);
    for (const bad of ['127.0.0.1', 'host:0', 'host:70000', ':80', 'a b:1']) {
      assert.equal((await checker.run(bad, live())).result, 'unknown', bad);
    }
  } finally {
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
});

test('AlwaysSuccessful is healthy whatever its args', async () => {
  assert.deepEqual(await new AlwaysSuccessfulChecker().run('anything at all', live()), { result: 'healthy' });
});

test('checkerFor: the four names, and any other name runs as HttpGet (like Go)', () => {
  assert.ok(checkerFor('HttpGet') instanceof HttpGetChecker);
  assert.ok(checkerFor('External') instanceof ExternalChecker);
  assert.ok(checkerFor('AlwaysSuccessful') instanceof AlwaysSuccessfulChecker);
  assert.ok(checkerFor('Tcp') instanceof TcpChecker);
  assert.ok(checkerFor('Awesome-sauce') instanceof HttpGetChecker);
  assert.ok(checkerFor('external') instanceof HttpGetChecker); // names are case-sensitive in Go
  assert.equal(isKnownCheckType('external'), false);
  assert.equal(isKnownCheckType('Tcp'), true);
});
