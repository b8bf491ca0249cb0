import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, SidecarError } from '../../../../src/core/index.js';
import {
  DockerLabelNamer,
  RegexNamer,
  createServiceNamer,
  mapContainer,
  summaryFromDetails,
  type ContainerSummary,
  type MappedContainer,
} from '../../../../src/discovery/docker/index.js';
import { NAMES, recordedInspect, recordedSummary, type FixtureName } from './fixtures.js';

const settings = { hostname: 'node-1', advertiseIp: '10.0.0.5', namer: new DockerLabelNamer() };

function mapped(name: FixtureName, health = false): MappedContainer {
  const m = mapContainer(recordedSummary(name), settings, health);
  assert.ok(m !== null, `${name} should be discovered`);
  return m;
}

test('a labelled -P container: 12-char ID, label name, Created in seconds, one port for the IPv4 and IPv6 bindings', () => {
  const m = mapped('fx-web');
  assert.equal(m.service.id, 'e3613d031f44');
  assert.equal(m.service.name, 'awesome-svc');
  assert.equal(m.service.image, 'local/busybox');
  assert.equal(m.service.created, 1795555633n * 1_000_000_000n);
  assert.equal(m.service.hostname, 'node-1');
  assert.equal(m.service.proxyMode, 'http');
  assert.equal(m.service.status, 0);
  assert.deepEqual(m.service.ports, [{ type: 'tcp', port: 32768, servicePort: 9500, ip: '10.0.0.5' }]);
  assert.deepEqual(m.check, { type: 'HttpGet', args: 'http://{{ host }}:{{ tcp 9500 }}/' });
  assert.deepEqual(m.listener, { name: 'Service(awesome-svc-e3613d031f44)', url: 'http://10.0.0.5:32768/sidecar/update' });
  assert.deepEqual(m.problems, []);
});

test('a non-integer ServicePort label gives ServicePort 0 and a problem naming the container and the label', () => {
  const m = mapped('fx-badport');
  assert.deepEqual(m.service.ports, [{ type: 'tcp', port: 32769, servicePort: 0, ip: '10.0.0.5' }]);
  assert.equal(m.service.proxyMode, 'tcp');
  assert.equal(m.problems.length, 1);
  assert.match(m.problems[0] ?? '', /fx-badport \(1ba46c763d17\).*ServicePort_80="abc"/);
  assert.equal(m.check, null, 'no HealthCheck label: the default check');
});

test('SidecarDiscover=false excludes the container', () => {
  assert.equal(mapContainer(recordedSummary('fx-hidden'), settings, false), null);
  // Only the exact value `false` excludes.
  const c = { ...recordedSummary('fx-hidden'), Labels: { SidecarDiscover: 'False' } };
  assert.ok(mapContainer(c, settings, false) !== null);
});

test('a Docker HEALTHCHECK without a HealthCheck label gives the DockerHealth check on the container ID', () => {
  assert.deepEqual(mapped('fx-healthy', true).check, { type: 'DockerHealth', args: '5fefb61e0690' });
  // A HealthCheck label wins over Docker's own check.
  assert.deepEqual(mapped('fx-web', true).check?.type, 'HttpGet');
});

test('specific binding IPs are kept, udp ports count, exposed-only ports are left out, no label = image name', () => {
  const m = mapped('fx-multi');
  assert.equal(m.service.name, 'local/busybox');
  assert.deepEqual(m.service.ports, [
    { type: 'udp', port: 32768, servicePort: 9553, ip: '10.0.0.5' },
    { type: 'tcp', port: 32772, servicePort: 9502, ip: '127.0.0.1' },
  ]);
});

test('an inspect document maps to exactly the service its list entry maps to (start events = polls)', () => {
  for (const name of NAMES) {
    const fromList = mapContainer(recordedSummary(name), settings, name === 'fx-healthy');
    const fromInspect = mapContainer(summaryFromDetails(recordedInspect(name)), settings, name === 'fx-healthy');
    assert.deepEqual(fromInspect, fromList, name);
  }
});

test('a container with no published port has Ports [] (not null)', () => {
  const c: ContainerSummary = { Id: 'a'.repeat(64), Names: ['/x'], Image: 'img', Created: 1, Labels: {}, Ports: [{ PrivatePort: 80, Type: 'tcp' }] };
  assert.deepEqual(mapContainer(c, settings, false)?.service.ports, []);
  assert.deepEqual(mapContainer({ ...c, Ports: null, Labels: null }, settings, false)?.service.ports, []);
});

test('IPv6: a wildcard-only IPv6 binding uses the advertise IP; a specific one is kept and bracketed in the listener URL', () => {
  const base = { Id: 'b'.repeat(64), Names: ['/v6'], Image: 'img', Created: 1 };
  const wild: ContainerSummary = { ...base, Labels: {}, Ports: [{ IP: '::', PrivatePort: 80, PublicPort: 4000, Type: 'tcp' }] };
  assert.deepEqual(mapContainer(wild, settings, false)?.service.ports, [{ type: 'tcp', port: 4000, servicePort: 0, ip: '10.0.0.5' }]);
  const specific: ContainerSummary = {
    ...base,
    Labels: { ServicePort_80: '9000', SidecarListener: '9000' },
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 4000, Type: 'tcp' },
      { IP: 'fd00::1', PrivatePort: 80, PublicPort: 4001, Type: 'tcp' },
    ],
  };
  const m = mapContainer(specific, settings, false);
  assert.deepEqual(m?.service.ports, [
    { type: 'tcp', port: 4000, servicePort: 9000, ip: '10.0.0.5' },
    { type: 'tcp', port: 4001, servicePort: 9000, ip: 'fd00::1' },
  ]);
  assert.equal(m?.listener?.url, 'http://10.0.0.5:4000/sidecar/update');
});

test('IPv4 and IPv6 wildcard bindings with different host ports (newer Engines) are still one port', () => {
  const c: ContainerSummary = {
    Id: 'c'.repeat(64), Names: ['/x'], Image: 'img', Created: 1, Labels: { ServicePort_80: '9500' },
    Ports: [
      { IP: '::', PrivatePort: 80, PublicPort: 32769, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 32768, Type: 'tcp' },
    ],
  };
  assert.deepEqual(mapContainer(c, settings, false)?.service.ports, [{ type: 'tcp', port: 32768, servicePort: 9500, ip: '10.0.0.5' }]);
});

test('bad labels never throw: each gives a problem sentence and a sane fallback', () => {
  const c: ContainerSummary = {
    Id: 'd'.repeat(64), Names: ['/bad'], Image: 'img', Created: 1,
    Labels: {
      ServicePort_80: '99999',
      ServicePort_81: '-',
      SidecarListener: 'nope',
      HealthCheck: 'Bogus',
      HealthCheckArgs: 'http://{{ host ',
      ProxyMode: 'tcp',
    },
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 1000, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 1001, Type: 'tcp' },
    ],
  };
  const m = mapContainer(c, settings, false);
  assert.ok(m !== null);
  assert.deepEqual(m.service.ports?.map((p) => p.servicePort), [0, 0]);
  assert.equal(m.listener, null);
  // Unknown types and broken templates are passed on as written: health warns and falls back.
  assert.deepEqual(m.check, { type: 'Bogus', args: 'http://{{ host ' });
  assert.equal(m.problems.length, 3);
  assert.match(m.problems.join('\n'), /ServicePort_80="99999"/);
  assert.match(m.problems.join('\n'), /ServicePort_81="-"/);
  assert.match(m.problems.join('\n'), /SidecarListener="nope"/);
  for (const p of m.problems) assert.match(p, /^container bad \(dddddddddddd\): /);
});

test('SidecarListener naming no tcp ServicePort: a problem and no listener', () => {
  const c = { ...recordedSummary('fx-web'), Labels: { ...recordedSummary('fx-web').Labels, SidecarListener: '1234' } };
  const m = mapContainer(c, settings, false);
  assert.equal(m?.listener, null);
  assert.match(m?.problems[0] ?? '', /SidecarListener=1234 names no tcp port/);
});

test('HealthCheckArgs without HealthCheck: the default check (empty type), as Go', () => {
  const c = { ...recordedSummary('fx-multi'), Labels: { HealthCheckArgs: 'http://x/' } };
  assert.deepEqual(mapContainer(c, settings, false)?.check, { type: '', args: 'http://x/' });
});

test('docker_label namer: configurable label, fallback image', () => {
  const namer = new DockerLabelNamer('app');
  assert.equal(namer.serviceName({ ...recordedSummary('fx-web'), Labels: { app: 'billing' } }), 'billing');
  assert.equal(namer.serviceName(recordedSummary('fx-web')), 'local/busybox');
  assert.equal(createServiceNamer({ namer: 'docker_label', nameLabel: 'ServiceName', nameMatch: '' }).serviceName(recordedSummary('fx-web')), 'awesome-svc');
});

test('regex namer: first group on the first name with its leading /, fallback image', () => {
  const namer = new RegexNamer('^/(.+)(-[0-9a-z]{7,14})$');
  const c = { ...recordedSummary('fx-web'), Names: ['/awesome-svc-1231b1b12323'] };
  assert.equal(namer.serviceName(c), 'awesome-svc');
  assert.equal(namer.serviceName({ ...c, Names: ['/plain'] }), 'local/busybox');
  assert.equal(namer.serviceName({ ...c, Names: [] }), 'local/busybox');
  assert.equal(new RegexNamer('^/fx').serviceName(c), 'local/busybox', 'no group: the image');
});

test('regex namer: an invalid pattern is a CONFIG_INVALID error naming SERVICES_NAME_MATCH', () => {
  assert.throws(
    () => createServiceNamer({ namer: 'regex', nameLabel: '', nameMatch: '(' }),
    (err: unknown) => err instanceof SidecarError && err.code === ErrorCode.CONFIG_INVALID && /SERVICES_NAME_MATCH/.test(err.message),
  );
});
