import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint, ProxyMode, Route, RoutingTable } from '../../../../src/proxy/index.js';
import { buildNftRuleset, fastpathRoutes, removeNftTable } from '../../../../src/proxy/fastpath/index.js';

function ep(key: string, ip: string, port: number): Endpoint {
  return { key, hostname: key.split('-')[0] ?? key, serviceId: key, ip, port, since: 0n };
}

function route(servicePort: number, mode: ProxyMode, endpoints: Endpoint[]): Route {
  return { servicePort, serviceName: `svc${servicePort}`, mode, endpoints };
}

function table(...routes: Route[]): RoutingTable {
  return { routes, collisions: [], excluded: [] };
}

test('fastpathRoutes keeps tcp routes with IPv4 endpoints, in the routing order', () => {
  const routes = fastpathRoutes(
    table(
      route(8000, 'tcp', [ep('a-1', '10.0.0.1', 30000), ep('b-1', 'host-b', 30001), ep('c-1', '10.0.0.3', 30002)]),
      route(8001, 'http', [ep('a-2', '10.0.0.1', 31000)]),
      route(8002, 'ws', [ep('a-3', '10.0.0.1', 32000)]),
      route(8003, 'tcp', [ep('b-2', 'host-b', 33000)]),
      route(8004, 'tcp', [ep('a-4', 'fe80::1', 34000)]),
    ),
  );
  assert.deepEqual(routes, [
    {
      servicePort: 8000,
      serviceName: 'svc8000',
      endpoints: [
        { key: 'a-1', ip: '10.0.0.1', port: 30000 },
        { key: 'c-1', ip: '10.0.0.3', port: 30002 },
      ],
    },
  ]);
});

test('buildNftRuleset: one transaction that replaces the table, a map to per-port round robin, a counted element per endpoint', () => {
  const text = buildNftRuleset(
    fastpathRoutes(table(route(8000, 'tcp', [ep('a-1', '10.0.0.1', 30000), ep('c-1', '10.0.0.3', 30002)]), route(9000, 'tcp', [ep('a-9', '10.0.0.1', 39000), ep('b-9', '10.0.0.1', 39000)]))),
    '192.168.168.168',
  );
  const count = 'ct status dnat ct original ip daddr 192.168.168.168 meta l4proto tcp ct original proto-dst . ip daddr . tcp dport @endpoints';
  assert.equal(
    text,
    [
      'table ip sidecar {}',
      'delete table ip sidecar',
      'table ip sidecar {',
      '  map service_ports {',
      '    type ipv4_addr . inet_service : verdict',
      '    elements = {',
      '      192.168.168.168 . 8000 : goto svc_8000,',
      '      192.168.168.168 . 9000 : goto svc_9000,',
      '    }',
      '  }',
      '  map backends {',
      '    typeof tcp dport . numgen inc mod 2 : ip daddr . tcp dport',
      '    elements = {',
      '      8000 . 0 : 10.0.0.1 . 30000,',
      '      8000 . 1 : 10.0.0.3 . 30002,',
      '      9000 . 0 : 10.0.0.1 . 39000,',
      '      9000 . 1 : 10.0.0.1 . 39000,',
      '    }',
      '  }',
      '  set endpoints {',
      '    type inet_service . ipv4_addr . inet_service',
      '    counter',
      '    elements = {',
      '      8000 . 10.0.0.1 . 30000,',
      '      8000 . 10.0.0.3 . 30002,',
      '      9000 . 10.0.0.1 . 39000,', // two records with one address: one element
      '    }',
      '  }',
      '  chain svc_8000 {',
      '    meta l4proto tcp dnat to tcp dport . numgen inc mod 2 map @backends',
      '  }',
      '  chain svc_9000 {',
      '    meta l4proto tcp dnat to tcp dport . numgen inc mod 2 map @backends',
      '  }',
      '  chain output {',
      '    type nat hook output priority -110; policy accept;',
      '    ip daddr . tcp dport vmap @service_ports',
      '  }',
      '  chain prerouting {',
      '    type nat hook prerouting priority -110; policy accept;',
      '    ip daddr . tcp dport vmap @service_ports',
      '  }',
      '  chain postrouting {',
      '    type nat hook postrouting priority 100; policy accept;',
      `    ${count}`,
      '    ct status dnat ct original ip daddr 192.168.168.168 oifname != "lo" masquerade',
      '  }',
      '  chain input {',
      '    type nat hook input priority 100; policy accept;',
      `    ${count}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
});

test('buildNftRuleset with no route keeps an empty map and the hooks (nothing is forwarded)', () => {
  const text = buildNftRuleset([], '10.1.2.3', 'sidecar_test');
  assert.match(text, /^table ip sidecar_test \{\}\ndelete table ip sidecar_test\ntable ip sidecar_test \{\n/);
  assert.doesNotMatch(text, /elements|dnat to|chain svc_/);
  assert.match(text, /  set endpoints \{\n    type inet_service \. ipv4_addr \. inet_service\n    counter\n  \}\n/);
  assert.match(text, /ct original ip daddr 10\.1\.2\.3 /);
});

test('removeNftTable removes the table whether or not it exists', () => {
  assert.equal(removeNftTable(), 'table ip sidecar {}\ndelete table ip sidecar\n');
});
