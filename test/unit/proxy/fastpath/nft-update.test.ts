import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNftUpdate, type FastpathRoute } from '../../../../src/proxy/fastpath/index.js';

function route(servicePort: number, ...ips: string[]): FastpathRoute {
  return { servicePort, serviceName: `svc${servicePort}`, endpoints: ips.map((ip, i) => ({ key: `h${i}`, ip, port: 9000 })) };
}
const VIP = '192.168.168.168';

test('nothing changed: no transaction', () => {
  assert.equal(buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2')], [route(8000, '10.0.0.1', '10.0.0.2')], VIP), '');
});

test('an endpoint leaves: the port\'s chain is rewritten, the surplus endpoint chain goes after it', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2'), route(8001, '10.0.0.9')], [route(8000, '10.0.0.2'), route(8001, '10.0.0.9')], VIP),
    [
      'flush chain ip sidecar ep_8000_0',
      'add rule ip sidecar ep_8000_0 meta l4proto tcp counter dnat to 10.0.0.2:9000',
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 numgen inc mod 1 vmap { 0 : goto ep_8000_0 }',
      'flush chain ip sidecar ep_8000_1',
      'delete chain ip sidecar ep_8000_1',
      '',
    ].join('\n'),
  );
});

test('a port appears and another goes: chains made before the map points at them, deleted after it stops', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1')], [route(8002, '10.0.0.3', '10.0.0.4')], VIP, 't'),
    [
      'add chain ip t ep_8002_0',
      'add rule ip t ep_8002_0 meta l4proto tcp counter dnat to 10.0.0.3:9000',
      'add chain ip t ep_8002_1',
      'add rule ip t ep_8002_1 meta l4proto tcp counter dnat to 10.0.0.4:9000',
      'add chain ip t svc_8002',
      'add rule ip t svc_8002 numgen inc mod 2 vmap { 0 : goto ep_8002_0, 1 : goto ep_8002_1 }',
      'add element ip t service_ports { 192.168.168.168 . 8002 : goto svc_8002 }',
      'delete element ip t service_ports { 192.168.168.168 . 8000 }',
      'flush chain ip t svc_8000',
      'delete chain ip t svc_8000',
      'flush chain ip t ep_8000_0',
      'delete chain ip t ep_8000_0',
      '',
    ].join('\n'),
  );
});

test('an endpoint joins: its chain is made before the port\'s round robin names it', () => {
  const text = buildNftUpdate([route(8000, '10.0.0.1')], [route(8000, '10.0.0.1', '10.0.0.2')], VIP);
  assert.equal(
    text,
    [
      'add chain ip sidecar ep_8000_1',
      'add rule ip sidecar ep_8000_1 meta l4proto tcp counter dnat to 10.0.0.2:9000',
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 numgen inc mod 2 vmap { 0 : goto ep_8000_0, 1 : goto ep_8000_1 }',
      '',
    ].join('\n'),
  );
});
