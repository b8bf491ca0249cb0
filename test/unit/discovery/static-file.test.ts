import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCode, SidecarError } from '../../../src/core/index.js';
import { parseStaticFile } from '../../../src/discovery/static/index.js';

const defaults = { hostname: 'node-1', advertiseIp: '10.0.0.5' };
const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8');

function parseError(text: string): SidecarError {
  try {
    parseStaticFile(text, '/etc/sidecar/static.json', defaults);
  } catch (err) {
    assert.ok(err instanceof SidecarError);
    assert.equal(err.code, ErrorCode.DISCOVERY_STATIC_FILE);
    return err;
  }
  assert.fail('expected an error');
}

function problems(text: string): string[] {
  return parseStaticFile(text, 'static.json', defaults).problems.map((p) => p.message);
}

test('the Go fixture static.json: defaults for hostname and port IP, check and ListenPort', () => {
  const { targets, problems: bad } = parseStaticFile(fixture('static.json'), 'static.json', defaults);
  assert.deepEqual(bad, []);
  assert.equal(targets.length, 1);
  const [t] = targets;
  assert.ok(t !== undefined);
  assert.equal(t.service.name, 'some_service');
  assert.equal(t.service.image, 'bb6268ff91dc42a51f51db53846f72102ed9ff3f');
  assert.equal(t.service.hostname, 'node-1');
  assert.deepEqual(t.service.ports, [{ type: 'tcp', port: 10234, servicePort: 9999, ip: '10.0.0.5' }]);
  assert.equal(t.service.proxyMode, 'http');
  assert.deepEqual(t.check, { type: 'HttpGet', args: 'http://:10234/' });
  assert.equal(t.listenPort, 9999);
});

test('the Go fixture static-hostnamed.json: the Hostname in the file wins, no ListenPort', () => {
  const { targets } = parseStaticFile(fixture('static-hostnamed.json'), 'static.json', defaults);
  assert.equal(targets[0]?.service.hostname, 'chaucer');
  assert.equal(targets[0]?.listenPort, 0);
});

test('keys match case-insensitively, unknown keys are ignored, IP and ProxyMode are kept as written', () => {
  const text = JSON.stringify([
    {
      service: { NAME: 'a', ports: [{ TYPE: 'udp', port: 53, ip: '192.168.1.1' }], proxymode: 'tcp', Status: 2, Extra: 1 },
      check: { type: 'External', ARGS: '/bin/true' },
      listenport: 8080,
      Comment: 'ignored',
    },
    { Service: { Name: 'b' } },
  ]);
  const { targets } = parseStaticFile(text, 'static.json', defaults);
  const [a, b] = targets;
  assert.deepEqual(a?.service.ports, [{ type: 'udp', port: 53, servicePort: 0, ip: '192.168.1.1' }]);
  assert.equal(a?.service.proxyMode, 'tcp');
  assert.equal(a?.service.status, 0, 'the file Status is ignored');
  assert.deepEqual(a?.check, { type: 'External', args: '/bin/true' });
  assert.equal(a?.listenPort, 8080);
  assert.equal(b?.service.proxyMode, '', 'no ProxyMode default for static services, as in Go');
  assert.equal(b?.service.ports, null);
  assert.deepEqual(b?.check, { type: '', args: '' });
});

test('null is an empty list (as Go decodes it); a byte order mark is skipped', () => {
  assert.deepEqual(parseStaticFile('null', 'f', defaults).targets, []);
  assert.equal(parseStaticFile(`\ufeff${fixture('static.json')}`, 'f', defaults).targets.length, 1);
});

test('a syntax error names the file, the line and the column, and says what to do', () => {
  const err = parseError('[\n  {"Service": {"Name": x}}\n]');
  assert.match(err.message, /^static discovery file \/etc\/sidecar\/static\.json: line 2, column 24: not valid JSON, unexpected "x" \(/);
  assert.match(err.message, /STATIC_CONFIG_FILE/);
  assert.match(parseError('[\n {"Service": {},}\n]').message, /line 2, column 17:/);
  assert.match(parseError('[{"Service": {"Name": "a"}}').message, /line 1, column 28: not valid JSON, the text ends too early/);
  assert.match(parseError('').message, /line 1, column 1:/);
});

test('a file that is not an array is refused', () => {
  assert.match(parseError('{"Service": {}}').message, /expected a JSON array of targets, found an object/);
  assert.match(parseError('"x"').message, /found a string/);
});

test('a bad target is reported with its index and field, the others are kept', () => {
  const text = JSON.stringify([
    { Service: { Name: 'good', Ports: [{ Type: 'tcp', Port: 80 }] } },
    { Service: { Name: 'bad', Ports: [{ Type: 'tcp', Port: 'eighty' }] } },
  ]);
  const content = parseStaticFile(text, 'static.json', defaults);
  assert.deepEqual(content.targets.map((t) => t.service.name), ['good']);
  assert.equal(content.problems.length, 1);
  assert.equal(content.problems[0]?.index, 1);
  assert.match(content.problems[0]?.message ?? '', /^\[1\]\.Service\.Ports\[0\]\.Port: expected an integer/);
});

test('validation: name, port ranges, ListenPort, Check and target types', () => {
  assert.match(problems('[{"Service": {"Name": "  "}}]')[0] ?? '', /^\[0\]\.Service\.Name: must not be empty/);
  assert.match(problems('[{"Check": {}}]')[0] ?? '', /\[0\]\.Service\.Name: must not be empty/);
  assert.match(problems('[{"Service": {"Name": "a", "Ports": [{"Port": 0}]}}]')[0] ?? '', /\[0\]\.Service\.Ports\[0\]\.Port: must be 1-65535, got 0/);
  assert.match(problems('[{"Service": {"Name": "a", "Ports": [{"Port": 70000}]}}]')[0] ?? '', /Port: must be 1-65535/);
  assert.match(problems('[{"Service": {"Name": "a", "Ports": [{"Port": 1, "ServicePort": -1}]}}]')[0] ?? '', /ServicePort: must be 0-65535/);
  assert.match(problems('[{"Service": {"Name": "a"}, "ListenPort": 65536}]')[0] ?? '', /\[0\]\.ListenPort: must be 1-65535/);
  assert.match(problems('[{"Service": {"Name": "a"}, "ListenPort": "80"}]')[0] ?? '', /\[0\]\.ListenPort: expected an integer/);
  assert.match(problems('[{"Service": {"Name": "a"}, "Check": {"Type": 1}}]')[0] ?? '', /\[0\]\.Check\.Type: expected a string/);
  assert.match(problems('[{"Service": {"Name": "a"}, "Check": []}]')[0] ?? '', /\[0\]\.Check: expected an object/);
  assert.match(problems('[1]')[0] ?? '', /^\[0\]: expected an object, found a number/);
  assert.match(problems('[{"Service": {"Name": "a", "Ports": {}}}]')[0] ?? '', /\[0\]\.Service\.Ports: expected an array/);
  // Go ignores a ListenPort that is not positive.
  assert.equal(parseStaticFile('[{"Service": {"Name": "a"}, "ListenPort": -1}]', 'f', defaults).targets[0]?.listenPort, 0);
});

test('the identity key changes with the content and ignores ID, times and Status', () => {
  const key = (svc: object, extra: object = {}): string =>
    parseStaticFile(JSON.stringify([{ Service: svc, ...extra }]), 'f', defaults).targets[0]?.key ?? '';
  const base = { Name: 'a', Ports: [{ Port: 1 }] };
  assert.equal(key(base), key({ ...base, ID: 'x', Status: 4, Created: '2020-01-01T00:00:00Z' }));
  assert.notEqual(key(base), key({ ...base, Image: 'v2' }));
  assert.notEqual(key(base), key(base, { ListenPort: 9 }));
  assert.notEqual(key(base), key(base, { Check: { Type: 'HttpGet', Args: 'x' } }));
  assert.notEqual(key(base), key({ ...base, Ports: [{ Port: 2 }] }));
});
