import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, formatTextLine } from '../../../src/core/logger.js';
import { relayWorkerLog } from '../../../src/proxy/workers/worker-log-relay.js';
import { pino } from 'pino';

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { stream, lines };
}

test('json: lines shaped like the Go Sidecar\'s logrus JSONFormatter (level names, RFC 3339 time, msg)', () => {
  const { stream, lines } = sink();
  const log = createLogger({ level: 'debug', format: 'json', destination: stream }).child({ component: 'health' });
  log.debug({ id: 'abc' }, 'one');
  log.info({ statusCode: 2 }, 'two');
  log.warn('three');
  log.error('four');
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(records.map((r) => r['level']), ['debug', 'info', 'warning', 'error']);
  assert.deepEqual(records.map((r) => r['msg']), ['one', 'two', 'three', 'four']);
  for (const r of records) {
    assert.match(String(r['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(String(r['time'])) - Date.now()) < 60_000);
    assert.equal(r['component'], 'health');
  }
  assert.equal(records[0]?.['id'], 'abc');
  assert.equal(records[1]?.['statusCode'], 2);
});

test('json: a field named like a logrus key is kept as fields.<name>, as logrus does', () => {
  const { stream, lines } = sink();
  createLogger({ level: 'info', format: 'json', destination: stream }).info({ time: 5, level: 'x', msg: 'y', other: 1 }, 'real');
  const r = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.equal(r['msg'], 'real');
  assert.equal(r['level'], 'info');
  assert.equal(typeof r['time'], 'string');
  assert.deepEqual([r['fields.time'], r['fields.level'], r['fields.msg'], r['other']], [5, 'x', 'y', 1]);
});

test('text: one readable line per record, as before', () => {
  const line = formatTextLine(JSON.stringify({ level: 40, time: Date.parse('2026-11-24T20:49:00.123Z'), component: 'proxy', msg: 'hello', a: 1, b: 'two words' }));
  assert.equal(line, '2026-11-24T20:49:00.123Z WARN  [proxy] hello a=1 b="two words"\n');
});

test('a proxy worker\'s pino line comes out of the main logger in the chosen format', () => {
  const { stream, lines } = sink();
  const main = createLogger({ level: 'debug', format: 'json', destination: stream }).child({ worker: 1 });
  const workerLines: string[] = [];
  const worker = pino({ level: 'debug', base: null }, { write: (l: string) => void workerLines.push(l) });
  worker.warn({ endpoint: '10.0.0.1:80' }, 'endpoint ejected');
  relayWorkerLog(main, workerLines[0] ?? '');
  const r = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.deepEqual([r['level'], r['msg'], r['endpoint'], r['worker'], typeof r['time']], ['warning', 'endpoint ejected', '10.0.0.1:80', 1, 'string']);
});
