import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/core/index.js';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { renderCheckArgs } from '../../../src/health/index.js';
import { makeService } from '../../helpers/catalog.js';

// The Go bridge test's service: Hostname "indefatigable", ServicePort 8081 → Port 1234.
const service = makeService({
  id: 'deadbeef123',
  name: 'hasCheck',
  image: 'registry.example/hasCheck:v1.2',
  hostname: 'indefatigable',
  proxyMode: 'tcp',
  status: ServiceStatus.UNHEALTHY,
  ports: [
    { type: 'tcp', port: 1234, servicePort: 8081, ip: '127.0.0.1' },
    { type: 'udp', port: 5353, servicePort: 53, ip: '127.0.0.1' },
  ],
});
const ctx = { service, advertiseIp: '10.0.0.5' };
const render = (args: string): string => {
  const result = renderCheckArgs(args, ctx);
  assert.equal(result.error, undefined, `unexpected error for ${args}: ${result.error?.message ?? ''}`);
  return result.args;
};
const renderError = (args: string): string => {
  const result = renderCheckArgs(args, ctx);
  assert.equal(result.args, args, 'a bad template leaves the args untemplated');
  assert.ok(result.error !== undefined, `expected an error for ${args}`);
  assert.equal(result.error.code, ErrorCode.HEALTH_TEMPLATE);
  return result.error.message;
};

test('host is the advertise IP, container the service Hostname, tcp/udp map ServicePorts', () => {
  assert.equal(render('http://{{ host }}:{{ tcp 8081 }}/status/check'), 'http://10.0.0.5:1234/status/check');
  assert.equal(render('http://{{ container }}:{{ tcp 8081 }}/status/check'), 'http://indefatigable:1234/status/check');
  assert.equal(render('{{ udp 53 }}'), '5353');
});

test('an unmapped port, or one of the other type, gives -1', () => {
  assert.equal(render('{{ tcp 9999 }}'), '-1');
  assert.equal(render('{{ udp 8081 }}'), '-1');
  assert.equal(render('{{ tcp 53 }}'), '-1');
  assert.equal(renderCheckArgs('{{ tcp 80 }}', { service: makeService({ ports: null }), advertiseIp: 'x' }).args, '-1');
});

test('service fields and methods render like Go', () => {
  assert.equal(render('{{ .ID }}|{{ .Name }}|{{ .Image }}|{{ .Hostname }}|{{ .ProxyMode }}|{{ .Status }}'),
    'deadbeef123|hasCheck|registry.example/hasCheck:v1.2|indefatigable|tcp|2');
  assert.equal(render('{{ .Version }} {{ .ListenerName }} {{ .StatusString }} {{ .IsAlive }}'),
    'v1.2 Service(hasCheck-deadbeef123) Unhealthy false');
  assert.equal(render('{{ .PortForServicePort 53 "udp" }}'), '5353');
});

test('whitespace inside braces is free, newlines included', () => {
  assert.equal(render('{{host}}:{{tcp 8081}}'), '10.0.0.5:1234');
  assert.equal(render('{{   tcp    8081   }}'), '1234');
  assert.equal(render('{{\n\ttcp\n8081\n}}'), '1234');
});

test('trim markers eat the whitespace next to them, and need a space', () => {
  assert.equal(render('a  \n {{- host -}} \n  b'), 'a10.0.0.5b');
  assert.equal(render('a {{- host }} b'), 'a10.0.0.5 b');
  assert.equal(render('a {{ host -}} b'), 'a 10.0.0.5b');
  assert.equal(render('[{{-3}}]'), '[-3]'); // no space: a negative number, not a marker
  assert.equal(render('[{{ 3 }}]'), '[3]');
});

test('comments, literals, pipelines, Go number syntax, and text with no actions', () => {
  assert.equal(render('x{{/* a comment */}}y'), 'xy');
  assert.equal(render('x {{- /* a comment */ -}} y'), 'xy');
  assert.equal(render('{{ "}}" }}{{ `raw\\n` }}{{ true }}'), '}}raw\\ntrue');
  assert.equal(render('{{ "udp" | .PortForServicePort 53 }}'), '5353'); // the piped value is the last argument
  assert.equal(render('{{ tcp 0x1F91 }} {{ tcp 8_081 }} {{ tcp 0o17621 }}'), '1234 1234 1234');
  assert.equal(render('/health }} {'), '/health }} {');
  assert.equal(render(''), '');
});

test('bad templates come back untemplated with an error', () => {
  assert.match(renderError('http://{{ host'), /unclosed action/);
  assert.match(renderError('{{ }}'), /missing value/);
  assert.match(renderError('{{ hostname }}'), /function "hostname" not defined/);
  assert.match(renderError('{{ .Nope }}'), /can't evaluate field Nope/);
  assert.match(renderError('{{ .Name.Length }}'), /can't evaluate field Length/);
  assert.match(renderError('{{ tcp }}'), /wrong number of args for tcp: want 1 got 0/);
  assert.match(renderError('{{ host 1 }}'), /wrong number of args for host/);
  assert.match(renderError('{{ tcp "8081" }}'), /wrong type/);
  assert.match(renderError('{{ 8081 | tcp }}'), /wrong type/); // a type error in Go too
  assert.match(renderError('{{ tcp .Status }}'), /wrong type/);
  assert.match(renderError('{{ if .Name }}x{{ end }}'), /"if" is not supported/);
  assert.match(renderError('{{ $x := 1 }}'), /unexpected "\$"/);
  assert.match(renderError('{{ .Created }}'), /not supported/);
  assert.match(renderError('{{ . }}'), /not supported/);
  assert.match(renderError('{{ .Name 1 }}'), /cannot be invoked/);
  assert.match(renderError('{{ tcp 80x }}'), /bad or unsupported number/);
  assert.match(renderError('{{/* open }}'), /unclosed comment/);
  assert.match(renderError('{{ "open }}'), /unterminated quoted string/);
  assert.match(renderError('{{ host | }}'), /missing command/);
});
