import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, FakeClock, SidecarError, formatTimestamp, silentLogger, type Logger } from '../../../src/core/index.js';
import type { Service } from '../../../src/catalog/index.js';
import { StaticDiscovery } from '../../../src/discovery/index.js';
import { eventually } from '../../helpers/eventually.js';
import { LEVEL, captureLogger } from '../../helpers/log-capture.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);

interface Setup {
  readonly dir: string;
  readonly file: string;
  readonly clock: FakeClock;
  readonly disco: StaticDiscovery;
}

function setup(t: TestContext, content: string | { fixture: string }, logger: Logger = silentLogger()): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'static-discovery-'));
  const file = join(dir, 'static.json');
  if (typeof content === 'string') writeFileSync(file, content);
  else copyFileSync(new URL(content.fixture, FIXTURES), file);
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 12, 0, 0));
  const disco = new StaticDiscovery({ file, hostname: 'node-1', advertiseIp: '10.0.0.5', clock, logger, reloadCheckIntervalMs: 1000 });
  t.after(async () => {
    await disco.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file, clock, disco };
}

async function startError(disco: StaticDiscovery): Promise<SidecarError> {
  try {
    await disco.start();
  } catch (err) {
    assert.ok(err instanceof SidecarError);
    assert.equal(err.code, ErrorCode.DISCOVERY_STATIC_FILE);
    return err;
  }
  assert.fail('start() should have rejected');
}

const target = (name: string, port: number, extra: object = {}): object => ({
  Service: { Name: name, Image: 'img', Ports: [{ Type: 'tcp', Port: port, ServicePort: port + 1000 }], ProxyMode: 'http' },
  ...extra,
});

/** Advances the fake clock past a poll until `check` passes (the file system work is real). */
function polled<T>(clock: FakeClock, check: () => T): Promise<T> {
  return eventually(() => {
    clock.advance(1000);
    return check();
  });
}

const byName = (services: readonly Service[]): Record<string, Service> => Object.fromEntries(services.map((s) => [s.name, s]));

test('loads the Go fixture: random 12-hex ID, Created = load time, node name, advertise IP, check, listener', async (t) => {
  const { disco, clock } = setup(t, { fixture: 'static.json' });
  await disco.start();
  const [svc, ...rest] = disco.services();
  assert.equal(rest.length, 0);
  assert.ok(svc !== undefined);
  assert.match(svc.id, /^[0-9a-f]{12}$/);
  assert.equal(svc.name, 'some_service');
  assert.equal(svc.hostname, 'node-1');
  assert.equal(formatTimestamp(svc.created), '2026-03-01T12:00:00Z');
  assert.equal(svc.created, BigInt(clock.nowMs()) * 1_000_000n);
  assert.deepEqual(svc.ports, [{ type: 'tcp', port: 10234, servicePort: 9999, ip: '10.0.0.5' }]);
  assert.equal(svc.proxyMode, 'http');
  assert.deepEqual(disco.healthCheck(svc), { type: 'HttpGet', args: 'http://:10234/' });
  assert.equal(disco.healthCheck({ ...svc, id: 'somebodyelse' }), null);
  assert.deepEqual(disco.listeners(), [{ name: `Service(some_service-${svc.id})`, url: 'http://node-1:9999/sidecar/update' }]);
  assert.equal(disco.name, 'static');
});

test('the hostnamed fixture exports the service for another host; listener URLs still use the node name', async (t) => {
  const { disco } = setup(t, { fixture: 'static-hostnamed.json' });
  await disco.start();
  assert.equal(disco.services()[0]?.hostname, 'chaucer');
  assert.deepEqual(disco.listeners(), []);

  const other = setup(t, JSON.stringify([target('x', 80, { ListenPort: 7000 })]).replace('"Image"', '"Hostname":"chaucer","Image"'));
  await other.disco.start();
  assert.equal(other.disco.services()[0]?.hostname, 'chaucer');
  assert.equal(other.disco.listeners()[0]?.url, 'http://node-1:7000/sidecar/update');
});

test('an empty check type means "use the default" (null); each start draws new IDs', async (t) => {
  const text = JSON.stringify([target('a', 80, { Check: { Type: '', Args: 'ignored' } }), target('b', 81)]);
  const one = setup(t, text);
  const two = setup(t, text);
  await one.disco.start();
  await two.disco.start();
  for (const svc of one.disco.services()) assert.equal(one.disco.healthCheck(svc), null);
  const ids = [...one.disco.services(), ...two.disco.services()].map((s) => s.id);
  assert.equal(new Set(ids).size, 4);
});

test('start rejects a missing file, a syntax error with line and column, and a bad field', async (t) => {
  const missing = setup(t, '[]');
  unlinkSync(missing.file);
  assert.match((await startError(missing.disco)).message, /static discovery file .*static\.json: the file does not exist/);

  const syntax = setup(t, '[\n  {"Service": {"Name": "a"}},\n  {"Service": {"Name": "b",}}\n]');
  assert.match((await startError(syntax.disco)).message, /static\.json: line 3, column 28: not valid JSON, unexpected "}"/);

  const field = setup(t, JSON.stringify([target('a', 80), { Service: { Name: 'b', Ports: [{ Port: 'x' }] } }]));
  assert.match((await startError(field.disco)).message, /static\.json: \[1\]\.Service\.Ports\[0\]\.Port: expected an integer/);

  const empty = setup(t, JSON.stringify([{ Service: { Name: '' } }, target('b', 0)]));
  const message = (await startError(empty.disco)).message;
  assert.match(message, /\[0\]\.Service\.Name: must not be empty/);
  assert.match(message, /\[1\]\.Service\.Ports\[0\]\.Port: must be 1-65535/, 'every bad target is named at once');
});

test('a changed file is reloaded: unchanged targets keep ID and Created, onDidChange fires', async (t) => {
  const { disco, clock, file } = setup(t, JSON.stringify([target('a', 80), target('b', 81, { ListenPort: 7000 })]));
  await disco.start();
  const before = byName(disco.services());
  let changes = 0;
  disco.onDidChange(() => changes++);

  clock.advance(5000);
  writeFileSync(file, JSON.stringify([target('a', 80), target('b', 82, { ListenPort: 7000 }), target('c', 83)]));
  await polled(clock, () => assert.equal(disco.services().length, 3));
  const after = byName(disco.services());
  assert.equal(after['a']?.id, before['a']?.id, 'unchanged target keeps its ID');
  assert.equal(after['a']?.created, before['a']?.created);
  assert.notEqual(after['b']?.id, before['b']?.id, 'changed target is a new service');
  assert.ok((after['b']?.created ?? 0n) > (before['b']?.created ?? 0n));
  assert.match(after['c']?.id ?? '', /^[0-9a-f]{12}$/);
  assert.deepEqual(disco.listeners(), [{ name: `Service(b-${after['b']?.id})`, url: 'http://node-1:7000/sidecar/update' }]);
  assert.equal(changes, 1);
});

test('a file replaced by rename is reloaded; rewriting the same content changes nothing', async (t) => {
  const text = JSON.stringify([target('a', 80)]);
  const { disco, clock, file, dir } = setup(t, text);
  await disco.start();
  const id = disco.services()[0]?.id;
  let changes = 0;
  disco.onDidChange(() => changes++);

  writeFileSync(file, text);
  clock.advance(3000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  clock.advance(3000);
  assert.equal(disco.services()[0]?.id, id);

  const tmp = join(dir, 'static.json.tmp');
  writeFileSync(tmp, JSON.stringify([target('a', 80), target('z', 90)]));
  renameSync(tmp, file);
  await polled(clock, () => assert.equal(disco.services().length, 2));
  assert.equal(disco.services()[0]?.id, id);
  assert.equal(changes, 1);
});

test('a malformed reload keeps the last good services and logs the reason once per distinct error', async (t) => {
  const { logger, records } = captureLogger();
  const { disco, clock, file } = setup(t, JSON.stringify([target('a', 80)]), logger);
  await disco.start();
  const good = disco.services();
  const warnings = (): string[] => records.filter((r) => r.level === LEVEL.warn).map((r) => r.msg);

  writeFileSync(file, '[{"Service": {"Name": "a"}');
  await polled(clock, () => assert.equal(warnings().length, 1));
  assert.match(warnings()[0] ?? '', /line 1, column 27: not valid JSON.*keeping the 1 services loaded before/);
  for (let i = 0; i < 5; i++) clock.advance(1000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  clock.advance(1000);
  assert.equal(warnings().length, 1, 'the same error is not logged again');
  assert.equal(disco.services(), good);

  writeFileSync(file, '{"Service": {"Name": "a"}}  ');
  await polled(clock, () => assert.equal(warnings().length, 2));
  assert.match(warnings()[1] ?? '', /expected a JSON array/);

  unlinkSync(file);
  await polled(clock, () => assert.equal(warnings().length, 3));
  assert.match(warnings()[2] ?? '', /the file does not exist; keeping the 1 services loaded before/);
  assert.equal(disco.services(), good);

  writeFileSync(file, JSON.stringify([target('a', 80), target('b', 81)]));
  await polled(clock, () => assert.equal(disco.services().length, 2));
  assert.equal(disco.services()[0]?.id, good[0]?.id);
  assert.ok(records.every((r) => r.level < LEVEL.error));
});

test('on reload a bad target is left out (named by index) and the others load', async (t) => {
  const { logger, records } = captureLogger();
  const { disco, clock, file } = setup(t, JSON.stringify([target('a', 80), target('b', 81)]), logger);
  await disco.start();
  const idA = byName(disco.services())['a']?.id;

  writeFileSync(file, JSON.stringify([target('a', 80), { Service: { Name: 'b', Ports: [{ Port: 99999 }] } }]));
  await polled(clock, () => assert.equal(disco.services().length, 1));
  assert.equal(disco.services()[0]?.id, idA);
  const warning = records.find((r) => r.level === LEVEL.warn);
  assert.match(warning?.msg ?? '', /target 1 left out: \[1\]\.Service\.Ports\[0\]\.Port: must be 1-65535/);
  assert.equal(warning?.['code'], ErrorCode.DISCOVERY_STATIC_FILE);

  // A file where every target is bad keeps the last good services.
  writeFileSync(file, JSON.stringify([{ Service: { Nam: 'a' } }]));
  await polled(clock, () => assert.ok(records.some((r) => /no valid target/.test(r.msg))));
  assert.equal(disco.services()[0]?.id, idA);
});

test('close stops the poll timer and is idempotent; no reload after close', async (t) => {
  const { disco, clock, file } = setup(t, JSON.stringify([target('a', 80)]));
  await disco.start();
  assert.ok(clock.pendingTimers > 0);
  await disco.close();
  await disco.close();
  assert.equal(clock.pendingTimers, 0);
  writeFileSync(file, JSON.stringify([target('a', 80), target('b', 81)]));
  clock.advance(5000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(disco.services().length, 1);
});
