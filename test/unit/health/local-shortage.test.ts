import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type * as http from 'node:http';
import * as net from 'node:net';
import { ErrorCode, FakeClock, LOCAL_SHORTAGE_ADVICE, localShortageCode } from '../../../src/core/index.js';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { ExternalChecker, HealthMonitor, HttpGetChecker, TcpChecker, type CheckOutcome, type Checker } from '../../../src/health/index.js';
import { makeService } from '../../helpers/catalog.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';

const live = (): AbortSignal => new AbortController().signal;
const errno = (code: string, syscall = 'connect'): NodeJS.ErrnoException =>
  Object.assign(new Error(`${syscall} ${code} 127.0.0.1:80 - Local (undefined:undefined)`), { code, syscall });

test('the shortage list: EMFILE, ENFILE, EADDRNOTAVAIL, ENOBUFS, ENOMEM, EAGAIN, also when wrapped', () => {
  for (const code of ['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS', 'ENOMEM', 'EAGAIN']) {
    assert.equal(localShortageCode(errno(code)), code);
    assert.ok(LOCAL_SHORTAGE_ADVICE[code]?.length, `advice for ${code}`);
  }
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOENT', undefined]) {
    assert.equal(localShortageCode(Object.assign(new Error('x'), { code })), undefined, String(code));
  }
  assert.equal(localShortageCode(new AggregateError([errno('ECONNREFUSED'), errno('EADDRNOTAVAIL')])), 'EADDRNOTAVAIL');
  assert.equal(localShortageCode(new Error('outer', { cause: errno('ENOBUFS') })), 'ENOBUFS');
  assert.equal(localShortageCode('EMFILE'), undefined);
});

/** A ClientRequest stand-in that fails the way Node's does when socket() returns `code`. */
function failingGet(code: string): (url: URL, options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) => http.ClientRequest {
  return () => {
    const request = Object.assign(new EventEmitter(), { destroy: () => undefined });
    process.nextTick(() => request.emit('error', errno(code)));
    return request as unknown as http.ClientRequest;
  };
}

test('HttpGet: a request this host cannot make is a local shortage, a refused one is not', async () => {
  for (const code of ['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS']) {
    const outcome = await new HttpGetChecker(10, failingGet(code)).run('http://127.0.0.1:80/health', live());
    assert.equal(outcome.result, 'unknown');
    assert.equal(outcome.localShortage, code);
  }
  const refused = await new HttpGetChecker(10, failingGet('ECONNREFUSED')).run('http://127.0.0.1:80/health', live());
  assert.equal(refused.localShortage, undefined);
  const thrown = await new HttpGetChecker(10, () => {
    throw errno('EMFILE');
  }).run('http://127.0.0.1:80/', live());
  assert.equal(thrown.localShortage, 'EMFILE');
});

test('Tcp: a socket that cannot be opened (EMFILE, EADDRNOTAVAIL) is a local shortage', async () => {
  for (const code of ['EMFILE', 'EADDRNOTAVAIL']) {
    const checker = new TcpChecker(() => {
      const socket = new net.Socket();
      process.nextTick(() => socket.emit('error', errno(code)));
      return socket;
    });
    const outcome = await checker.run('127.0.0.1:80', live());
    assert.deepEqual([outcome.result, outcome.localShortage], ['unknown', code]);
  }
  const refused = new TcpChecker(() => {
    const socket = new net.Socket();
    process.nextTick(() => socket.emit('error', errno('ECONNREFUSED')));
    return socket;
  });
  assert.equal((await refused.run('127.0.0.1:80', live())).localShortage, undefined);
});

test('External: a command this host cannot start (EMFILE, EAGAIN, ENOMEM) is a local shortage; a missing one is not', async () => {
  const failingSpawn = (code: string, sync: boolean) => (): ChildProcess => {
    if (sync) throw errno(code, 'spawn');
    const child = Object.assign(new EventEmitter(), { stdout: null, stderr: null, kill: () => true });
    process.nextTick(() => child.emit('error', errno(code, 'spawn')));
    return child as unknown as ChildProcess;
  };
  for (const code of ['EMFILE', 'EAGAIN', 'ENOMEM']) {
    for (const sync of [false, true]) {
      const outcome = await new ExternalChecker(failingSpawn(code, sync)).run('/bin/check --fast', live());
      assert.deepEqual([outcome.result, outcome.localShortage], ['unknown', code], `${code} sync=${sync}`);
    }
  }
  const missing = await new ExternalChecker(failingSpawn('ENOENT', false)).run('/bin/check', live());
  assert.equal(missing.localShortage, undefined);
  assert.match(missing.error ?? '', /command not found/);
});

/** A checker whose next outcomes the test sets. */
class ScriptedChecker implements Checker {
  outcome: CheckOutcome = { result: 'healthy' };
  runs = 0;
  run(): Promise<CheckOutcome> {
    this.runs++;
    return Promise.resolve(this.outcome);
  }
}

const EMFILE_OUTCOME: CheckOutcome = { result: 'unknown', error: 'connect EMFILE 127.0.0.1:8080', localShortage: 'EMFILE' };

test('monitor: a shortage keeps every status as it was, is logged once per episode with its errno and remedy, and its end once', async () => {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const checker = new ScriptedChecker();
  const monitor = new HealthMonitor({ clock, logger, advertiseIp: '10.0.0.1', checkerFor: () => checker, fallCount: 1 });
  const changes: unknown[] = [];
  monitor.onDidChangeStatus((c) => changes.push(c));
  const services = [makeService({ id: 'up' }), makeService({ id: 'down' })];
  monitor.sync(services, (svc) => ({ type: 'HttpGet', args: svc.id === 'up' ? 'http://u:secret@10.0.0.1:8080/?token=abc' : 'http://10.0.0.1:8081/' }));
  await monitor.runOnce();
  assert.equal(monitor.statusOf('up'), ServiceStatus.ALIVE);
  changes.length = 0;

  checker.outcome = EMFILE_OUTCOME;
  for (let round = 0; round < 5; round++) {
    await monitor.runOnce();
    clock.advance(3000);
  }
  assert.equal(monitor.statusOf('up'), ServiceStatus.ALIVE, 'no failure counted: still ALIVE');
  assert.equal(monitor.describe().find((c) => c.id === 'up')?.consecutiveFailures, 0);
  assert.deepEqual(changes, [], 'no change announced');
  const warnings = records.filter((r) => r.code === ErrorCode.HEALTH_LOCAL_SHORTAGE);
  assert.equal(warnings.length, 1, 'one line for 10 results set aside');
  const [warning] = warnings;
  assert.equal(warning?.level, LEVEL.warn);
  assert.equal(warning?.['errno'], 'EMFILE');
  assert.match(String(warning?.msg), /EMFILE/);
  assert.match(String(warning?.msg), /ulimit -n/);
  assert.ok(!JSON.stringify(records).includes('secret') && !JSON.stringify(records).includes('abc'), 'check URL redacted');
  assert.equal(records.filter((r) => /Health check failed/.test(r.msg)).length, 0, 'no failure line');

  // Back to normal: the end of the episode is logged once, after two quiet intervals.
  checker.outcome = { result: 'healthy' };
  await monitor.runOnce(); // one interval after the last shortage
  assert.equal(records.filter((r) => /is over/.test(r.msg)).length, 0, 'not after one interval');
  clock.advance(3000);
  await monitor.runOnce();
  const ended = records.filter((r) => /local shortage \(EMFILE\) is over/.test(r.msg));
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.['setAside'], 10);

  // A second episode is logged again.
  checker.outcome = EMFILE_OUTCOME;
  await monitor.runOnce();
  assert.equal(records.filter((r) => r.code === ErrorCode.HEALTH_LOCAL_SHORTAGE && r.level === LEVEL.warn).length, 2);

  // A real failure after the shortage still counts.
  checker.outcome = { result: 'unknown', error: 'connect ECONNREFUSED' };
  clock.advance(3000);
  await monitor.runOnce();
  assert.equal(monitor.statusOf('up'), ServiceStatus.UNHEALTHY);
  await monitor.close();
});

test('monitor: a checker that throws EMFILE is a shortage too', async () => {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  let calls = 0;
  const throwing: Checker = {
    run: () => {
      calls++;
      if (calls === 1) return Promise.resolve({ result: 'healthy' });
      return Promise.reject(errno('EMFILE'));
    },
  };
  const monitor = new HealthMonitor({ clock, logger, advertiseIp: '10.0.0.1', checkerFor: () => throwing });
  monitor.sync([makeService({ id: 'a' })], () => ({ type: 'Tcp', args: '10.0.0.1:1' }));
  await monitor.runOnce();
  await monitor.runOnce();
  assert.equal(calls, 2);
  assert.equal(monitor.statusOf('a'), ServiceStatus.ALIVE);
  assert.equal(records.filter((r) => r.code === ErrorCode.HEALTH_LOCAL_SHORTAGE).length, 1);
  await monitor.close();
});

test('monitor: in-memory checks passing meanwhile do not end an episode (they need no descriptor)', async () => {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const short: Checker = { run: () => Promise.resolve(EMFILE_OUTCOME) };
  const always: Checker = { run: () => Promise.resolve({ result: 'healthy' }), runNow: () => ({ result: 'healthy' }) };
  const monitor = new HealthMonitor({ clock, logger, advertiseIp: '10.0.0.1', checkerFor: (type) => (type === 'AlwaysSuccessful' ? always : short) });
  monitor.sync([makeService({ id: 'web' }), makeService({ id: 'const' })], (svc) =>
    svc.id === 'web' ? { type: 'HttpGet', args: 'http://10.0.0.1:1/' } : { type: 'AlwaysSuccessful', args: '' },
  );
  for (let round = 0; round < 6; round++) {
    await monitor.runOnce();
    clock.advance(6100); // a round skipped (the previous one still running), as on a busy host
  }
  assert.equal(records.filter((r) => r.code === ErrorCode.HEALTH_LOCAL_SHORTAGE).length, 1, 'one line, no end, no restart');
  await monitor.close();
});
