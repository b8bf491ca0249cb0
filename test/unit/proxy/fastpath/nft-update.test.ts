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

test('an endpoint leaves: the port\'s one rule is rewritten and its counted element goes; the other port is untouched', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2'), route(8001, '10.0.0.9')], [route(8000, '10.0.0.2'), route(8001, '10.0.0.9')], VIP),
    [
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 meta l4proto tcp dnat to numgen inc mod 1 map { 0 : 10.0.0.2 . 9000 }',
      'delete element ip sidecar endpoints { 8000 . 10.0.0.1 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('a port appears and another goes: the chain is made before the map points at it, deleted after it stops', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1')], [route(8002, '10.0.0.3', '10.0.0.4')], VIP, 't'),
    [
      'add chain ip t svc_8002',
      'add rule ip t svc_8002 meta l4proto tcp dnat to numgen inc mod 2 map { 0 : 10.0.0.3 . 9000, 1 : 10.0.0.4 . 9000 }',
      'add element ip t service_ports { 192.168.168.168 . 8002 : goto svc_8002 }',
      'add element ip t endpoints { 8002 . 10.0.0.3 . 9000, 8002 . 10.0.0.4 . 9000 }',
      'delete element ip t service_ports { 192.168.168.168 . 8000 }',
      'flush chain ip t svc_8000',
      'delete chain ip t svc_8000',
      'delete element ip t endpoints { 8000 . 10.0.0.1 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('an endpoint joins: the rule names it and its element is added; the one that stays keeps its element (and count)', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1')], [route(8000, '10.0.0.1', '10.0.0.2')], VIP),
    [
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 meta l4proto tcp dnat to numgen inc mod 2 map { 0 : 10.0.0.1 . 9000, 1 : 10.0.0.2 . 9000 }',
      'add element ip sidecar endpoints { 8000 . 10.0.0.2 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('the same endpoints in another order: the rule follows, no element changes', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2')], [route(8000, '10.0.0.2', '10.0.0.1')], VIP),
    ['flush chain ip sidecar svc_8000', 'add rule ip sidecar svc_8000 meta l4proto tcp dnat to numgen inc mod 2 map { 0 : 10.0.0.2 . 9000, 1 : 10.0.0.1 . 9000 }', ''].join('\n'),
  );
});
