import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { seededRandom } from '../../../src/membership/index.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';
import { fetchRaw, sendRawBytes, startApi } from './fixture.js';

const golden = (name: string): string => readFileSync(new URL(`../../fixtures/api/${name}`, import.meta.url), 'utf8');

/** A seeded PRNG, so a failure can be replayed. */
const prng = seededRandom;

const SEGMENTS = [
  'api', 'services', 'state.json', 'services.json', 'watch', 'drain', 'deadbeef123', 'bocaccio.json', 'ui', 'servers',
  'v1', 'static', '.', '..', '', '%', '%zz', '%2F', '%2e%2E', '%00', '%FF%FE', '%C3%A9', 'a.b.c', '{name}', '%7Bx%7D',
  'x'.repeat(300), '\u00e9', '\u00ff\u00fe', ';', '*', '+', '?', '??', '#frag', '&', '=', 'by_service=false',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE', 'BREW', 'get'];
const ALLOWED = new Set([200, 202, 301, 400, 404, 405, 414, 431]);

function randomTarget(rand: () => number): string {
  const n = Math.floor(rand() * 6);
  let path = '';
  for (let i = 0; i < n; i++) path += `/${SEGMENTS[Math.floor(rand() * SEGMENTS.length)] ?? ''}`;
  if (rand() < 0.1) path = path.replace('/', '//');
  if (rand() < 0.05) path += '/'.repeat(1 + Math.floor(rand() * 3));
  if (rand() < 0.03) path += 'q'.repeat(10_000);
  if (rand() < 0.3) path += `?${SEGMENTS[Math.floor(rand() * SEGMENTS.length)] ?? ''}`;
  if (rand() < 0.03) return `http://h${path || '/'}`;
  if (rand() < 0.02) return path.slice(1) || 'x';
  return path || '/';
}

function randomBody(rand: () => number): { headers: string; body: string } {
  const r = rand();
  if (r < 0.5) return { headers: '', body: '' };
  const size = Math.floor(rand() ** 3 * 200_000);
  const body = String.fromCharCode(...Array.from({ length: Math.min(size, 64) }, () => Math.floor(rand() * 256))).repeat(Math.max(1, Math.floor(size / 64)));
  if (r < 0.7) return { headers: `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`, body };
  if (r < 0.8) return { headers: `Content-Length: ${Buffer.byteLength(body, 'latin1') + 10}\r\n`, body };
  if (r < 0.9) return { headers: 'Transfer-Encoding: chunked\r\n', body: `${(body.length || 1).toString(16)}\r\n${body || 'x'}\r\n0\r\n\r\n` };
  return { headers: 'Content-Length: nope\r\n', body };
}

test('hundreds of random and malformed requests get well-formed answers and leave the server working', async () => {
  const { logger, records } = captureLogger();
  const fx = await startApi({ logger });
  try {
    const rand = prng(0x5eed);
    const statuses = new Map<number, number>();
    const total = 400;
    const concurrency = 8;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        const method = METHODS[Math.floor(rand() * METHODS.length)] ?? 'GET';
        const target = randomTarget(rand);
        const { headers, body } = randomBody(rand);
        const request = `${method} ${target} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n${headers}\r\n${body}`;
        const reply = await sendRawBytes(fx.port, Buffer.from(request, 'latin1'), 3000);
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
        assert.ok(m !== null, `#${i} ${method} ${JSON.stringify(target.slice(0, 80))}: no HTTP answer: ${JSON.stringify(reply.slice(0, 80))}`);
        const status = Number(m[1]);
        assert.ok(ALLOWED.has(status), `#${i} ${method} ${JSON.stringify(target.slice(0, 80))}: status ${status}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // The generator reaches the interesting answers, not only 404s.
    for (const status of [200, 301, 400, 404, 405]) assert.ok((statuses.get(status) ?? 0) > 0, `no ${status} among ${JSON.stringify([...statuses])}`);

    const after = await fetchRaw(fx.port, 'GET', '/api/state.json');
    assert.equal(after.status, 200);
    assert.equal(after.body, golden('state.json'));
    assert.equal(records.filter((r) => r.level >= LEVEL.error).length, 0, 'no errors logged');
    assert.ok(records.some((r) => r.level === LEVEL.debug), 'bad requests are logged at debug');
  } finally {
    await fx.close();
  }
});
