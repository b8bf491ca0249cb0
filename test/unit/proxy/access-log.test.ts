import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/index.js';
import { AccessLogWriter } from '../../../src/proxy/access-log.js';
import { accessLogLine, addressText } from '../../../src/proxy/access-log-line.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { eventually } from '../../helpers/eventually.js';

test('an access-log line is one JSON object with the documented fields', () => {
  const line = accessLogLine('we"b', 8080, 'http', '10.0.0.7:51234', { key: 'h2-abc', ip: '10.0.0.12', port: 31001 }, 200, 1.23456, 112, 2048);
  assert.ok(line.endsWith('}\n'));
  const rec = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(Object.keys(rec), ['time', 'service', 'port', 'mode', 'client', 'backend', 'server', 'status', 'durationMs', 'bytesIn', 'bytesOut']);
  assert.equal(rec['service'], 'we"b');
  assert.equal(rec['backend'], '10.0.0.12:31001');
  assert.equal(rec['durationMs'], 1.235);
  assert.ok(!Number.isNaN(Date.parse(String(rec['time']))));
  const tcp = JSON.parse(accessLogLine('db', 5432, 'tcp', '10.0.0.7:1', undefined, undefined, 5, 0, 0)) as Record<string, unknown>;
  assert.equal('status' in tcp, false);
  assert.equal(tcp['backend'], null);
  assert.equal((JSON.parse(accessLogLine('web', 1, 'http', 'c', undefined, null, 0, 0, 0)) as Record<string, unknown>)['status'], null);
});

test('client and backend addresses: IPv4-mapped shown as IPv4, IPv6 in brackets', () => {
  assert.equal(addressText('::ffff:10.1.2.3', 80), '10.1.2.3:80');
  assert.equal(addressText('::1', 443), '[::1]:443');
  assert.equal(addressText(undefined, 1), '');
});

test('the writer appends every line, and drops (and counts, and says) what does not fit its bounded buffer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-access-writer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.log');
  const { logger, records } = captureLogger();
  const line = `${'x'.repeat(99)}\n`;
  const writer = new AccessLogWriter(path, logger, systemClock, 1000);
  // All in one turn of the event loop: nothing can be written meanwhile, so the buffer fills.
  for (let i = 0; i < 25; i++) writer.write(line);
  await writer.close();
  await writer.close(); // idempotent
  const { linesWritten, linesDropped } = writer.stats();
  // 1000 bytes hold 8 lines of 100 (room for the worst-case UTF-8 size is kept for each).
  assert.deepEqual([linesWritten, linesDropped], [8, 17]);
  assert.equal(readFileSync(path, 'utf8'), line.repeat(8));
  assert.ok(records.some((r) => r.level === 40 && /17 line\(s\) dropped/.test(r.msg)), JSON.stringify(records));
  writer.write(line); // after close: ignored
  assert.equal(readFileSync(path, 'utf8').length, line.length * 8);
});

test('lines written over several turns all arrive, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-access-writer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.log');
  const writer = new AccessLogWriter(path, captureLogger().logger, systemClock);
  const expected: string[] = [];
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 500; i++) {
      const l = `{"n":${turn * 500 + i}}\n`;
      expected.push(l);
      writer.write(l);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await writer.close();
  assert.equal(readFileSync(path, 'utf8'), expected.join(''));
  assert.deepEqual(writer.stats(), { linesWritten: 10_000, linesDropped: 0 });
});

test('a file that cannot be opened: lines are dropped and the error is logged once', async () => {
  const { logger, records } = captureLogger();
  const writer = new AccessLogWriter('/nonexistent-dir/x/access.log', logger, systemClock);
  writer.write('a\n');
  await new Promise((resolve) => setImmediate(resolve));
  writer.write('b\n');
  await writer.close();
  assert.equal(writer.stats().linesDropped, 2);
  assert.equal(records.filter((r) => r.level === 50).length, 1);
});

test('a quiet thread\'s lines reach the file within the flush interval, without close()', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-access-writer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.log');
  const writer = new AccessLogWriter(path, captureLogger().logger, systemClock);
  after(() => writer.close());
  writer.write('{"n":1}\n');
  writer.write('{"n":2,"name":"wéb"}\n');
  await eventually(
    () => {
      assert.equal(readFileSync(path, 'utf8'), '{"n":1}\n{"n":2,"name":"wéb"}\n');
      // Counted when the write's callback runs, which may be a moment after the bytes are visible.
      assert.deepEqual(writer.stats(), { linesWritten: 2, linesDropped: 0 });
    },
    { timeoutMs: 2000 },
  );
});
