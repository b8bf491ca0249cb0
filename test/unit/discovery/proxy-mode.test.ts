import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../src/core/index.js';
import { normalizeProxyMode } from '../../../src/catalog/index.js';
import { StaticDiscovery } from '../../../src/discovery/index.js';
import { parseStaticFile } from '../../../src/discovery/static/static-file.js';
import { DockerLabelNamer, mapContainer, type ContainerSummary } from '../../../src/discovery/docker/index.js';
import { toProxyMode } from '../../../src/proxy/index.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';

test('known ProxyMode values in any case become lower case; unknown ones are kept as written; "" stays', () => {
  for (const [input, mode, known] of [
    ['TCP', 'tcp', true],
    ['Http', 'http', true],
    ['WS', 'ws', true],
    ['tcp', 'tcp', true],
    ['', '', true],
    ['smtp', 'smtp', false],
    ['SMTP', 'SMTP', false],
  ] as const) {
    assert.deepEqual(normalizeProxyMode(input), { mode, known }, input);
  }
  // And the proxy: what discovery recorded, or a peer sent, maps to how it is forwarded.
  assert.deepEqual(['tcp', 'TCP', 'smtp', '', 'http', 'WS'].map(toProxyMode), ['tcp', 'tcp', 'tcp', 'http', 'http', 'ws']);
});

const entry = (name: string, proxyMode: string): object => ({
  Service: { Name: name, Image: 'img', Ports: [{ Type: 'tcp', Port: 8000, ServicePort: 9000 }], ProxyMode: proxyMode },
});

test('static file: "TCP" is recorded tcp; "smtp" is kept, with a warning naming the entry, the value and the accepted ones', () => {
  const content = parseStaticFile(JSON.stringify([entry('db', 'TCP'), entry('mail', 'smtp')]), '/etc/static.json', { hostname: 'h', advertiseIp: '10.0.0.1' });
  assert.deepEqual(content.problems, []);
  assert.deepEqual(content.targets.map((t) => t.service.proxyMode), ['tcp', 'smtp']);
  assert.equal(content.targets[0]?.proxyModeWarning, undefined);
  const warning = content.targets[1]?.proxyModeWarning ?? '';
  assert.match(warning, /^\[1\]\.Service\.ProxyMode: ProxyMode "smtp" is not one of tcp, http, ws/);
  assert.match(warning, /forwards it as tcp/);
});

test('static discovery warns about an unknown ProxyMode once per service, with the file and index, not again on reload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-mode-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'static.json');
  writeFileSync(file, JSON.stringify([entry('web', 'HTTP'), entry('mail', 'smtp')]));
  const { logger, records } = captureLogger();
  const clock = new FakeClock();
  const disco = new StaticDiscovery({ file, hostname: 'h', advertiseIp: '10.0.0.1', clock, logger });
  await disco.start();
  t.after(() => disco.close());
  assert.deepEqual(disco.services().map((s) => s.proxyMode), ['http', 'smtp']);
  const warnings = records.filter((r) => r.level === LEVEL.warn && /ProxyMode/.test(r.msg));
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.['index'], 1);
  assert.equal(warnings[0]?.['service'], 'mail');
  assert.ok(String(warnings[0]?.msg).includes(file));
  assert.match(String(warnings[0]?.msg), /"smtp".*tcp, http, ws/);
});

test('Docker label: ProxyMode=WS is recorded ws; ProxyMode=smtp is kept and reported naming the container', () => {
  const settings = { hostname: 'node-1', advertiseIp: '10.0.0.5', namer: new DockerLabelNamer() };
  const c = (mode: string): ContainerSummary => ({
    Id: 'c'.repeat(64),
    Names: ['/mailer'],
    Image: 'img',
    Created: 1,
    Labels: { ServiceName: 'mail', ProxyMode: mode },
    Ports: [{ PrivatePort: 25, PublicPort: 2525, Type: 'tcp', IP: '0.0.0.0' }],
  });
  const ws = mapContainer(c('WS'), settings, false);
  assert.equal(ws?.service.proxyMode, 'ws');
  assert.deepEqual(ws?.problems, []);
  const smtp = mapContainer(c('smtp'), settings, false);
  assert.equal(smtp?.service.proxyMode, 'smtp');
  assert.equal(smtp?.problems.length, 1);
  assert.match(smtp?.problems[0] ?? '', /^container mailer \(cccccccccccc\): label ProxyMode: ProxyMode "smtp" is not one of tcp, http, ws/);
  const unset = mapContainer({ ...c('x'), Labels: { ServiceName: 'mail' } }, settings, false);
  assert.equal(unset?.service.proxyMode, 'http', 'no label: http, as in Go');
});
