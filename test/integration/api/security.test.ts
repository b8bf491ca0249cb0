/**
 * The API's defences, on a real socket: who may mutate (token, loopback, Host, Origin,
 * Sec-Fetch-Site) with an audit line each, reads left open, the undrain and maintenance
 * routes, the `/watch` caps, error answers that do not leave sockets in FIN-WAIT-2, and
 * service names holding `/`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ServiceStatus, type Service } from '../../../src/catalog/index.js';
import type { UndrainOutcome } from '../../../src/api/index.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLogger, type LogRecord } from '../../helpers/log-capture.js';
import { makeService } from '../../helpers/catalog.js';
import { fetchRaw, goldenRecords, startApi, type ApiFixture } from './fixture.js';

const TOKEN = 's3cret-token-for-tests';
const DRAIN = '/api/services/deadbeef123/drain';

function audits(records: readonly LogRecord[]): LogRecord[] {
  return records.filter((r) => r['audit'] === true);
}

describe('mutations with a token configured', () => {
  let fx: ApiFixture;
  const { logger, records } = captureLogger();
  before(async () => {
    fx = await startApi({ logger, extra: { token: TOKEN } });
  });
  after(() => fx.close());

  it('a missing token is 401 with WWW-Authenticate, a wrong one 403, the right one 202 (either header)', async () => {
    const missing = await fetchRaw(fx.port, 'POST', DRAIN);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="sidecar"');
    const query = await fetchRaw(fx.port, 'POST', `${DRAIN}?token=${TOKEN}`);
    assert.equal(query.status, 401, 'never from the query string');
    const wrong = await fetchRaw(fx.port, 'POST', DRAIN, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 403);
    const prefix = await fetchRaw(fx.port, 'POST', DRAIN, { headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}` } });
    assert.equal(prefix.status, 403);
    assert.deepEqual(fx.drained, [], 'nothing drained yet');
    const bearer = await fetchRaw(fx.port, 'POST', DRAIN, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 202);
    const custom = await fetchRaw(fx.port, 'POST', DRAIN, { headers: { 'X-Sidecar-Token': TOKEN } });
    assert.equal(custom.status, 202);
    assert.deepEqual(fx.drained, ['deadbeef123', 'deadbeef123']);
    const lines = audits(records);
    assert.deepEqual(
      lines.map((l) => [l['outcome'], l['status'], l['authority'] ?? l['reason']]),
      [
        ['refused', 401, 'token missing'],
        ['refused', 401, 'token missing'],
        ['refused', 403, 'token wrong'],
        ['refused', 403, 'token wrong'],
        ['done', 202, 'token'],
        ['done', 202, 'token'],
      ],
    );
    for (const l of lines) {
      assert.equal(l['route'], 'drain');
      assert.equal(l['id'], 'deadbeef123');
      assert.equal(l['remote'], '127.0.0.1');
      assert.equal(l.level, 30, 'info');
    }
    assert.ok(!JSON.stringify(records).includes(TOKEN), 'the token is never logged');
  });
});

describe('mutations without a token (loopback only) and cross-site defences', () => {
  let fx: ApiFixture;
  const { logger, records } = captureLogger();
  before(async () => {
    fx = await startApi({ logger });
  });
  after(() => fx.close());

  it('a foreign Origin, Origin null, Sec-Fetch-Site cross-site or a foreign Host is refused; own names pass', async () => {
    const refused: Array<Record<string, string>> = [
      { Origin: 'http://127.0.0.1:1' },
      { Origin: 'http://evil.example' },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { Host: `evil.example:${fx.port}` },
      { Host: 'evil.example' },
      { Host: `127.0.0.1.evil.example:${fx.port}` },
    ];
    for (const headers of refused) {
      const res = await fetchRaw(fx.port, 'POST', DRAIN, { headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
    }
    assert.deepEqual(fx.drained, []);
    assert.equal(fx.state.getLocalServiceById('deadbeef123')?.status, ServiceStatus.ALIVE);
    const allowed: Array<Record<string, string>> = [
      {},
      { Origin: `http://127.0.0.1:${fx.port}`, 'Sec-Fetch-Site': 'same-origin' },
      { Host: `localhost:${fx.port}` },
      { Host: 'LOCALHOST' },
      { Host: `[::1]:${fx.port}` },
    ];
    for (const headers of allowed) {
      const res = await fetchRaw(fx.port, 'POST', DRAIN, { headers });
      assert.equal(res.status, 202, JSON.stringify(headers));
    }
    const lines = audits(records);
    assert.equal(lines.filter((l) => l['outcome'] === 'refused').length, refused.length);
    assert.deepEqual(new Set(lines.filter((l) => l['outcome'] === 'done').map((l) => l['authority'])), new Set(['loopback']));
  });

  it('reads stay open to any origin (CORS * on GET and OPTIONS)', async () => {
    const get = await fetchRaw(fx.port, 'GET', '/api/services.json', { headers: { Origin: 'http://evil.example', Host: 'evil.example' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], '*');
    assert.equal(get.headers['access-control-allow-methods'], 'GET');
    const options = await fetchRaw(fx.port, 'OPTIONS', '/api/services.json', { headers: { Origin: 'http://evil.example' } });
    assert.equal(options.status, 200);
  });

  it('a service whose name holds a slash is found escaped (a%2Fb), drain IDs too', async () => {
    fx.state.addServiceEntry(makeService({ id: 'slash1', name: 'a/b', updated: fx.stamps.now() }));
    const upper = await fetchRaw(fx.port, 'GET', '/api/services/a%2Fb.json');
    assert.equal(upper.status, 200, upper.body);
    assert.match(upper.body, /"Name": "a\/b"/);
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/services/a%2fb.json')).status, 200);
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/services/a/b.json')).status, 404, 'unescaped it is two segments');
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/services/x%2Fy.json')).status, 404);
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/services/a.b.json')).status, 200, 'dots still split at the last one');
  });
});

describe('audit lines of refused mutations', () => {
  it('a flood of refused mutations logs at most 20 lines per 10 s, then says how many it skipped', async () => {
    const { logger, records } = captureLogger();
    const fx = await startApi({ logger, extra: { token: TOKEN } });
    try {
      for (let i = 0; i < 30; i++) assert.equal((await fetchRaw(fx.port, 'POST', DRAIN)).status, 401);
      assert.equal(audits(records).length, 20);
      fx.clock.advance(10_000);
      assert.equal((await fetchRaw(fx.port, 'POST', DRAIN, { headers: { Origin: 'http://evil.example' } })).status, 403);
      assert.equal(audits(records).at(-1)?.['suppressedBefore'], 10);
      assert.equal((await fetchRaw(fx.port, 'POST', DRAIN, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 202);
      assert.equal(audits(records).at(-1)?.['outcome'], 'done', 'allowed mutations are always logged');
    } finally {
      await fx.close();
    }
  });
});

describe('undrain and maintenance routes', () => {
  let fx: ApiFixture;
  let maintenance = false;
  const undrained: string[] = [];
  before(async () => {
    fx = await startApi({
      extra: {
        token: TOKEN,
        undrain: (id): UndrainOutcome => {
          const svc = fx.state.getLocalServiceById(id);
          if (svc === undefined) return { kind: 'notFound' };
          if (svc.status !== ServiceStatus.DRAINING) return { kind: 'notDraining', service: svc };
          undrained.push(id);
          return { kind: 'undrained', service: svc };
        },
        maintenance: { isOn: () => maintenance, set: (on) => ((maintenance = on), 3) },
      },
    });
  });
  after(() => fx.close());
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('undrain answers 202 with a Message, 200 when not draining, 404 when unknown; it needs the token', async () => {
    assert.equal((await fetchRaw(fx.port, 'POST', '/api/services/deadbeef123/undrain')).status, 401);
    assert.equal((await fetchRaw(fx.port, 'POST', DRAIN, { headers: auth })).status, 202);
    const res = await fetchRaw(fx.port, 'POST', '/api/services/deadbeef123/undrain', { headers: auth });
    assert.equal(res.status, 202);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.body), { Message: 'Service "bocaccio" instance "deadbeef123" undrained: UNKNOWN until its health check passes' });
    assert.deepEqual(undrained, ['deadbeef123']);
    assert.equal((await fetchRaw(fx.port, 'POST', '/api/services/deadbeef000/undrain', { headers: auth })).status, 200);
    assert.equal((await fetchRaw(fx.port, 'POST', '/api/services/nothere/undrain', { headers: auth })).status, 404);
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/services/deadbeef123/undrain')).status, 405);
  });

  it('maintenance: GET reports it (open read), POST on/off need the token', async () => {
    const read = async (): Promise<unknown> => JSON.parse((await fetchRaw(fx.port, 'GET', '/api/maintenance.json')).body);
    assert.deepEqual(await read(), { Maintenance: false });
    assert.equal((await fetchRaw(fx.port, 'POST', '/api/maintenance/on')).status, 401);
    assert.deepEqual(await read(), { Maintenance: false });
    const on = await fetchRaw(fx.port, 'POST', '/api/maintenance/on', { headers: auth });
    assert.equal(on.status, 202);
    assert.deepEqual(JSON.parse(on.body), { Message: 'Maintenance on: 3 local service(s) set to DRAINING' });
    assert.deepEqual(await read(), { Maintenance: true });
    assert.equal((await fetchRaw(fx.port, 'POST', '/api/maintenance/off', { headers: auth })).status, 202);
    assert.deepEqual(await read(), { Maintenance: false });
  });
});

describe('watch caps', () => {
  it('the client over the cap gets 503 with a clear body; a slot frees when a client leaves', async () => {
    const { logger, records } = captureLogger();
    const fx = await startApi({ logger, extra: { maxWatchers: 2 } });
    try {
      const open = [await openWatch(fx.port), await openWatch(fx.port)];
      await eventually(() => assert.equal(fx.api.watchStats().length, 2));
      const third = await fetchRaw(fx.port, 'GET', '/api/watch');
      assert.equal(third.status, 503);
      assert.match(third.body, /already serves 2 \/watch clients \(--api-max-watchers\)/);
      assert.ok(records.some((r) => r.msg === 'watch client refused: too many watch clients'));
      open[0]?.destroy();
      await eventually(() => assert.equal(fx.api.watchStats().length, 1));
      const again = await openWatch(fx.port);
      await eventually(() => assert.equal(fx.api.watchStats().length, 2));
      for (const s of [...open, again]) s.destroy();
    } finally {
      await fx.close();
    }
  });

  it('a client that does not read is dropped after the stall timeout, logged once', async (t) => {
    const { logger, records } = captureLogger();
    // A big state (about 2 MB per document) fills the socket quickly.
    const many: Service[] = goldenRecords();
    for (let i = 0; i < 4000; i++) many.push(makeService({ id: `bulk${i}`, name: `bulk-${i % 50}`, image: 'x'.repeat(200) }));
    const fx = await startApi({ logger, records: many, extra: { watchStallTimeoutMs: 5000 } });
    try {
      const socket = await openWatch(fx.port);
      socket.pause();
      for (let i = 0; i < 40 && fx.api.watchStats()[0]?.backpressured !== true; i++) {
        fx.state.addServiceEntry(makeService({ id: `churn${i}`, name: 'churn', updated: fx.stamps.now() }));
        await new Promise((r) => setImmediate(r));
      }
      await eventually(() => assert.equal(fx.api.watchStats()[0]?.backpressured, true));
      const queued = ssLines(`( sport = :${fx.port} )`).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[2] ?? 0), 0);
      t.diagnostic(`kernel send queue for the stalled client before the drop: ${queued} bytes`);
      fx.clock.advance(4000);
      assert.equal(fx.api.watchStats().length, 1, 'kept before the timeout');
      fx.clock.advance(1100);
      assert.equal(fx.api.watchStats().length, 0, 'dropped after it');
      const drops = records.filter((r) => r.msg === 'watch client dropped: it does not read its stream');
      assert.equal(drops.length, 1);
      const sendQ = (): number => ssLines(`( sport = :${fx.port} )`).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[2] ?? 0), 0);
      // The server's end of the connection is reset: the kernel frees what it held for the client.
      await eventually(() => assert.deepEqual(ssLines(`( sport = :${fx.port} )`), []));
      assert.equal(sendQ(), 0);
      socket.destroy();
    } finally {
      await fx.close();
    }
  });
});

describe('error answers do not leave sockets behind', () => {
  it('a connection that never finishes its request head gets 408, then no FIN-WAIT-2 socket stays', async (t) => {
    const fx = await startApi({ extra: { headersTimeoutMs: 400 } });
    try {
      const sockets = await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const s = connect({ host: '127.0.0.1', port: fx.port, allowHalfOpen: true });
          s.on('error', () => undefined);
          let got = '';
          s.on('data', (c: Buffer) => (got += c.toString('latin1')));
          // A client that never closes its side (allowHalfOpen, and no end()).
          await new Promise((r) => s.once('connect', r));
          if (i % 2 === 0) s.write('GET /api/state.json HTTP/1.1\r\nHost: x\r\n');
          return { s, got: () => got };
        }),
      );
      await eventually(() => sockets.every(({ got }) => got().startsWith('HTTP/1.1 408 Request Timeout')), { timeoutMs: 5000 });
      // Our side half-closed (the 408 went out with a FIN) while the client keeps its side open:
      // without the reset these stay in FIN-WAIT-2, each holding an fd, for as long as the client likes.
      const halfClosed = (): string[] => ssLines(`state fin-wait-1 state fin-wait-2 ( sport = :${fx.port} )`);
      const peak = await eventually(() => {
        const n = halfClosed().length;
        assert.equal(n, 5);
        return n;
      });
      const since = Date.now();
      await eventually(() => assert.deepEqual(halfClosed(), []), { timeoutMs: 5000, intervalMs: 50 });
      t.diagnostic(`408 sent to 5 idle connections; ${peak} half-closed (FIN-WAIT) sockets, none left ${Date.now() - since} ms later`);
      for (const { s } of sockets) s.destroy();
    } finally {
      await fx.close();
    }
  });
});

function openWatch(port: number): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', reject);
    s.once('connect', () => {
      s.write('GET /api/watch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      s.once('data', () => resolve(s));
    });
  });
}

/** `ss -tnH <filter>`: TCP connections (no listening sockets) matching the filter. */
function ssLines(filter: string): string[] {
  const out = execFileSync('ss', ['-tnH', ...filter.split(' ')], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '');
}
