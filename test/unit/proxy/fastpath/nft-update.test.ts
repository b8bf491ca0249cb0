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

test('an endpoint leaves: the port\'s rule gets the new N, the slots that changed are rewritten, its counted element goes; the other port is untouched', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2'), route(8001, '10.0.0.9')], [route(8000, '10.0.0.2'), route(8001, '10.0.0.9')], VIP),
    [
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 meta l4proto tcp dnat to tcp dport . numgen inc mod 1 map @backends',
      'delete element ip sidecar backends { 8000 . 0, 8000 . 1 }',
      'add element ip sidecar backends { 8000 . 0 : 10.0.0.2 . 9000 }',
      'delete element ip sidecar endpoints { 8000 . 10.0.0.1 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('the last endpoint leaves: one slot goes, the others stay as they are', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2', '10.0.0.3')], [route(8000, '10.0.0.1', '10.0.0.2')], VIP),
    [
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 meta l4proto tcp dnat to tcp dport . numgen inc mod 2 map @backends',
      'delete element ip sidecar backends { 8000 . 2 }',
      'delete element ip sidecar endpoints { 8000 . 10.0.0.3 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('an endpoint replaced by another: map elements only, the rule stays', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2')], [route(8000, '10.0.0.1', '10.0.0.7')], VIP),
    [
      'delete element ip sidecar backends { 8000 . 1 }',
      'add element ip sidecar backends { 8000 . 1 : 10.0.0.7 . 9000 }',
      'delete element ip sidecar endpoints { 8000 . 10.0.0.2 . 9000 }',
      'add element ip sidecar endpoints { 8000 . 10.0.0.7 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('a port appears and another goes: the chain and slots are made before the map points at them, deleted after it stops', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1')], [route(8002, '10.0.0.3', '10.0.0.4')], VIP, 't'),
    [
      'add element ip t backends { 8002 . 0 : 10.0.0.3 . 9000, 8002 . 1 : 10.0.0.4 . 9000 }',
      'add chain ip t svc_8002',
      'add rule ip t svc_8002 meta l4proto tcp dnat to tcp dport . numgen inc mod 2 map @backends',
      'add element ip t service_ports { 192.168.168.168 . 8002 : goto svc_8002 }',
      'add element ip t endpoints { 8002 . 10.0.0.3 . 9000, 8002 . 10.0.0.4 . 9000 }',
      'delete element ip t service_ports { 192.168.168.168 . 8000 }',
      'flush chain ip t svc_8000',
      'delete chain ip t svc_8000',
      'delete element ip t backends { 8000 . 0 }',
      'delete element ip t endpoints { 8000 . 10.0.0.1 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('an endpoint joins: the rule gets the new N and the slot, its element is added; the one that stays keeps its element (and count)', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1')], [route(8000, '10.0.0.1', '10.0.0.2')], VIP),
    [
      'flush chain ip sidecar svc_8000',
      'add rule ip sidecar svc_8000 meta l4proto tcp dnat to tcp dport . numgen inc mod 2 map @backends',
      'add element ip sidecar backends { 8000 . 1 : 10.0.0.2 . 9000 }',
      'add element ip sidecar endpoints { 8000 . 10.0.0.2 . 9000 }',
      '',
    ].join('\n'),
  );
});

test('the same endpoints in another order: the slots follow, no rule or counted element changes', () => {
  assert.equal(
    buildNftUpdate([route(8000, '10.0.0.1', '10.0.0.2')], [route(8000, '10.0.0.2', '10.0.0.1')], VIP),
    [
      'delete element ip sidecar backends { 8000 . 0, 8000 . 1 }',
      'add element ip sidecar backends { 8000 . 0 : 10.0.0.2 . 9000, 8000 . 1 : 10.0.0.1 . 9000 }',
      '',
    ].join('\n'),
  );
});
