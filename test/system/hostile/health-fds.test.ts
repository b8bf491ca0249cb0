import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually.js';
import { logLevel, logTimeMs, startAgent } from '../../helpers/agent-process.js';
import { freePort } from '../../helpers/free-port.js';

/**
 * Issue #11 row 5: an agent out of file descriptors must not announce its healthy services
 * UNHEALTHY. The agent runs under `ulimit -n 64` with two static services whose HttpGet checks
 * hit a backend in this test (one by IP, one by the name localhost). The load balancer is
 * given more connections than the limit allows (`--proxy-max-connections 64`, which the agent
 * warns about: the fd split of core/fd-limits.ts would have kept it to 16), and idle TCP
 * connections through it use up the agent's descriptors until its checks fail with EMFILE. The
 * services must stay ALIVE, with one SC_ERR_HEALTH_LOCAL_SHORTAGE warning; once the connections
 * go, checks pass again. (Before: the first EMFILE made them UNHEALTHY cluster-wide.)
 */
const FD_LIMIT = 64;
const SHORTAGE = 'SC_ERR_HEALTH_LOCAL_SHORTAGE';

type Log = Record<string, unknown>;

test('out of descriptors, healthy services stay ALIVE (checked by IP and by name); the shortage is logged once, and its end', { timeout: 60_000 }, async (t) => {
  let hits = 0;
  const backend = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { connection: 'close' }).end('ok');
  });
  await new Promise<void>((done) => backend.listen(0, '127.0.0.1', done));
  const backendPort = (backend.address() as net.AddressInfo).port;
  const servicePort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'health-fds-'));
  const file = join(dir, 'static.json');
  writeFileSync(
    file,
    JSON.stringify([
      {
        Service: { Name: 'web', Image: 'web:1', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: servicePort }], ProxyMode: 'tcp' },
        Check: { Type: 'HttpGet', Args: `http://127.0.0.1:${backendPort}/health` },
      },
      {
        // By name: out of descriptors the resolver cannot read /etc/hosts and says ENOTFOUND.
        Service: { Name: 'api', Image: 'api:1', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: 0 }] },
        Check: { Type: 'HttpGet', Args: `http://localhost:${backendPort}/health` },
      },
    ]),
  );
  const args = ['--hostname', 'fds', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--proxy-bind-ip', '127.0.0.1', '--proxy-max-connections', '64'];
  const agent = startAgent(args, {}, { fdLimit: FD_LIMIT });
  const { child, logs } = agent;
  const held: net.Socket[] = [];
  t.after(async () => {
    for (const s of held) s.destroy();
    await agent.stop();
    backend.closeAllConnections();
    await new Promise((done) => backend.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  const pid = child.pid ?? 0;
  const apiPort = Number(new URL(await agent.apiUrl()).port);
  // Descriptors below the limit (one may sit above it, inherited from bash before `ulimit`).
  const fdCount = (): number => readdirSync(`/proc/${pid}/fd`).filter((fd) => Number(fd) < FD_LIMIT).length;
  /** The statuses of web and api, e.g. [0, 0] when both are ALIVE. */
  const statuses = async (via?: net.Socket): Promise<Array<number | undefined>> => {
    const body = via === undefined ? await getClosing(`http://127.0.0.1:${apiPort}/api/services.json`) : await getOver(via, '/api/services.json');
    const doc = JSON.parse(body) as { Services: Record<string, Array<{ Status: number }>> };
    return ['web', 'api'].map((name) => doc.Services[name]?.[0]?.Status);
  };
  await eventually(async () => assert.deepEqual(await statuses(), [0, 0], 'web and api ALIVE'), { timeoutMs: 15_000 });
  // The proxy's worker threads listen once they have started (a moment after the API).
  await eventually(
    async () => {
      const probe = net.connect({ host: '127.0.0.1', port: servicePort });
      probe.on('error', () => undefined);
      await once(probe, 'connect');
      probe.destroy();
    },
    { timeoutMs: 15_000 },
  );
  const fdsBefore = fdCount();
  assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), new RegExp(`Max open files\\s+${FD_LIMIT}\\s`));

  // One API connection opened now and kept busy (a request every 2 s, within the keep-alive
  // time-out), to read the state while the agent can accept no new connection.
  const via = net.connect({ host: '127.0.0.1', port: apiPort });
  via.on('error', () => undefined);
  await once(via, 'connect');
  let lastRead = await statuses(via);
  let lastReadMs = Date.now();
  const keepReading = async (): Promise<void> => {
    if (Date.now() - lastReadMs < 2000) return;
    lastRead = await statuses(via);
    lastReadMs = Date.now();
    assert.deepEqual(lastRead, [0, 0], 'web and api stay ALIVE');
  };

  // Use up the agent's descriptors with idle TCP connections through its load balancer (two
  // descriptors each) and, when one descriptor is left (a proxied connection needs two), a
  // /api/watch stream (held open as long as it is read), until the table stays full (a check's
  // own socket may hold the last one for a moment).
  const sleep = async (ms: number): Promise<void> => {
    await keepReading();
    await new Promise((done) => setTimeout(done, ms));
  };
  let watchers = 0;
  const connectOne = async (): Promise<void> => {
    const watch = FD_LIMIT - fdCount() === 1;
    const socket = net.connect({ host: '127.0.0.1', port: watch ? apiPort : servicePort });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const at = held.indexOf(socket);
      if (at >= 0) held.splice(at, 1);
    });
    await once(socket, 'connect');
    held.push(socket);
    if (watch) {
      watchers++;
      socket.write('GET /api/watch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      socket.resume();
    }
  };
  let fullSamples = 0;
  for (let attempt = 0; attempt < FD_LIMIT * 4 && fullSamples < 5; attempt++) {
    if (fdCount() < FD_LIMIT) {
      fullSamples = 0;
      await connectOne();
      await sleep(20);
    } else {
      fullSamples++;
      await sleep(50);
    }
  }
  const fdsFull = fdCount();
  t.diagnostic(`agent fds: ${fdsBefore} before, ${fdsFull} of ${FD_LIMIT} with ${held.length - watchers} idle connections through the load balancer and ${watchers} watch streams`);
  assert.equal(fdsFull, FD_LIMIT, 'descriptors used up');

  const shortageLines = (): Log[] => logs.filter((l) => l['code'] === SHORTAGE && logLevel(l) === 40);
  const t0 = Date.now();
  await eventually(
    async () => {
      await keepReading();
      assert.ok(shortageLines().length >= 1);
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  ).catch((err: unknown) => {
    t.diagnostic(`backend hits ${hits}, fds ${fdCount()}, held ${held.length}; agent logs (last 8): ${JSON.stringify(logs.slice(-8))}`);
    throw err;
  });
  const line = shortageLines()[0] ?? {};
  t.diagnostic(`shortage reported after ${Date.now() - t0} ms: errno=${String(line['errno'])}: ${String(line['msg'])}`);
  assert.equal(line['errno'], 'EMFILE');
  assert.match(String(line['msg']), /ulimit -n/);
  const hitsDuring = hits;

  // Two more check rounds while short: still ALIVE (asked over the connection already open), one line.
  const windowEnd = Date.now() + 6500;
  while (Date.now() < windowEnd) await sleep(250);
  const failures = logs.filter((l) => /Health check failed/.test(String(l['msg'])));
  assert.deepEqual(failures, [], 'no check counted as failed');
  assert.deepEqual(await statuses(via), [0, 0], 'both still ALIVE while the agent is out of descriptors');
  assert.equal(shortageLines().length, 1, 'the shortage is logged once per episode');
  const changed = logs.filter((l) => /Health status changed|Service status changed/.test(String(l['msg'])) && logTimeMs(l) >= t0);
  assert.deepEqual(changed, [], 'no status change while short');
  t.diagnostic(`backend hits while short: ${hits - hitsDuring} (checks could not connect)`);
  const byMsg = new Map<string, number>();
  for (const l of logs) if (logTimeMs(l) >= t0) byMsg.set(String(l['msg']).slice(0, 60), (byMsg.get(String(l['msg']).slice(0, 60)) ?? 0) + 1);
  t.diagnostic(`agent log lines while short: ${JSON.stringify(Object.fromEntries(byMsg))}`);

  // Release: checks run and pass again, and the end of the episode is logged.
  for (const s of [...held]) s.destroy();
  via.destroy();
  const released = Date.now();
  await eventually(() => logs.some((l) => l['code'] === SHORTAGE && /is over/.test(String(l['msg']))), { timeoutMs: 15_000, intervalMs: 50 });
  const hitsAfter = hits;
  await eventually(() => hits > hitsAfter, { timeoutMs: 5000 });
  assert.deepEqual(await statuses(), [0, 0]);
  t.diagnostic(`checks normal again ${Date.now() - released} ms after release; fds now ${fdCount()}; shortage warnings: ${shortageLines().length}`);
  assert.equal(shortageLines().length, 1);
});

/** A GET on a connection of its own, closed after the answer (fetch would keep one open in the agent). */
function getClosing(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** A GET on an already open keep-alive connection (the agent cannot accept a new one). */
async function getOver(socket: net.Socket, path: string): Promise<string> {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: sidecar\r\nConnection: keep-alive\r\n\r\n`);
  let data = Buffer.alloc(0);
  return new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (!Number.isFinite(length)) return reject(new Error(`no Content-Length in ${head}`));
      if (data.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve(data.subarray(end + 4, end + 4 + length).toString('utf8'));
    };
    socket.on('data', onData);
    setTimeout(() => reject(new Error('no answer on the held connection')), 5000).unref();
  });
}
