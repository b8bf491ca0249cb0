import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import { FakeClock } from '../../../src/core/index.js';
import { HealthMonitor, HttpGetChecker, type Checker } from '../../../src/health/index.js';
import { makeService } from '../../helpers/catalog.js';
import { captureLogger } from '../../helpers/log-capture.js';

const SECRET_URL = 'http://admin:Pa55word@10.0.0.1:8080/health?token=T0ken&x=1';

test('no log line and no describe() entry shows a check URL\'s userinfo or query values', async () => {
  const { logger, records } = captureLogger();
  // A checker that quotes its args verbatim: the monitor redacts what it logs and keeps.
  const failing: Checker = { run: (args) => Promise.resolve({ result: 'sickly', error: `failed: ${args}` }) };
  const monitor = new HealthMonitor({ clock: new FakeClock(), logger, advertiseIp: '10.0.0.1', checkerFor: () => failing });
  monitor.sync([makeService({ id: 'a' }), makeService({ id: 'b' })], (svc) =>
    svc.id === 'a' ? { type: 'HttpGet', args: SECRET_URL } : { type: 'External', args: `/usr/bin/curl -sf ${SECRET_URL}` },
  );
  await monitor.runOnce();
  const text = JSON.stringify(records) + JSON.stringify(monitor.describe());
  assert.ok(records.some((r) => /Adding health check/.test(r.msg)));
  assert.ok(records.some((r) => /Health check failed/.test(r.msg)));
  for (const secret of ['Pa55word', 'T0ken', 'admin:']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  assert.match(text, /http:\/\/\*\*\*@10\.0\.0\.1:8080\/health\?token=\*\*\*&x=\*\*\*/);
  await monitor.close();
});

test('HttpGet errors name the URL redacted (HTTP status, invalid URL, connection error)', async () => {
  const answer = (status: number) => (_url: URL, _o: http.RequestOptions, callback: (res: http.IncomingMessage) => void): http.ClientRequest => {
    const request = Object.assign(new EventEmitter(), { destroy: () => undefined });
    const response = Object.assign(new EventEmitter(), { statusCode: status, headers: {}, destroy: () => undefined });
    process.nextTick(() => callback(response as unknown as http.IncomingMessage));
    return request as unknown as http.ClientRequest;
  };
  const signal = new AbortController().signal;
  const sickly = await new HttpGetChecker(10, answer(500)).run(SECRET_URL, signal);
  assert.equal(sickly.result, 'sickly');
  assert.equal(sickly.error, 'HTTP 500 from http://***@10.0.0.1:8080/health?token=***&x=***');
  const invalid = await new HttpGetChecker().run('http://u:Pa55word@ bad/?token=T0ken', signal);
  assert.ok(!String(invalid.error).includes('Pa55word') && !String(invalid.error).includes('T0ken'), invalid.error);
});
