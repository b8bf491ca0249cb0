import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseNftTableView } from '../../../../src/proxy/fastpath/index.js';

// Recorded: `nft -j list table ip sidecar` (nft 1.0.6) in a network namespace, after
// buildNftRuleset for echo on 10500 (10.78.0.2:9000, 10.78.0.3:9000) and db on 10600
// (10.78.0.2:5432), bind IP 192.168.168.168, and four connections (three to 10500, one to 10600).
const RECORDED = readFileSync('test/fixtures/nft/list-table-sidecar.json', 'utf8');

test('parseNftTableView follows map → port chain → numgen map → endpoints by slot, with their counters from the counting set', () => {
  assert.deepEqual(parseNftTableView(RECORDED, '192.168.168.168'), {
    ok: true,
    ports: [
      {
        servicePort: 10500,
        chain: 'svc_10500',
        endpoints: [
          { slot: 0, ip: '10.78.0.2', port: 9000, connections: 2 },
          { slot: 1, ip: '10.78.0.3', port: 9000, connections: 1 },
        ],
      },
      { servicePort: 10600, chain: 'svc_10600', endpoints: [{ slot: 0, ip: '10.78.0.2', port: 5432, connections: 1 }] },
    ],
  });
});

test('parseNftTableView keeps only the map elements of the bind IP', () => {
  assert.deepEqual(parseNftTableView(RECORDED, '10.0.0.1'), { ok: true, ports: [] });
});

test('parseNftTableView reports what is not nft JSON', () => {
  const notJson = parseNftTableView('{"nftables": [', '192.168.168.168');
  assert.equal(notJson.ok, false);
  assert.match(notJson.ok ? '' : notJson.error, /not JSON/);
  assert.deepEqual(parseNftTableView('{"tables": []}', '192.168.168.168'), { ok: false, error: 'nft -j printed JSON without an `nftables` array' });
  assert.deepEqual(parseNftTableView('{"nftables": []}', '192.168.168.168'), { ok: true, ports: [] });
});

test('parseNftTableView follows references, not names, and skips what does not fit', () => {
  const doc = {
    nftables: [
      // An element with a counter (`{ elem: { val } }`), a jump, an element of the wrong shape, a port given as a string.
      {
        map: {
          name: 'service_ports',
          elem: [
            [{ elem: { val: { concat: ['192.168.168.168', 80] } } }, { jump: { target: 'a' } }],
            [{ concat: ['192.168.168.168', 81] }, { goto: { target: 'b' } }],
            [{ concat: ['192.168.168.168', '82'] }, { goto: { target: 'c' } }],
            'junk',
            [null],
          ],
        },
      },
      // Port 80: three slots, elements out of order, slot 1 missing (left out), an element of another port, one of the wrong shape.
      { rule: { chain: 'a', expr: [{ dnat: { family: 'ip', addr: { map: { key: { concat: [{ payload: { protocol: 'tcp', field: 'dport' } }, { numgen: { mode: 'inc', mod: 3 } }] }, data: '@rr' } } } }] } },
      {
        map: {
          name: 'rr',
          elem: [
            [{ concat: [80, 2] }, { concat: ['10.0.0.3', 1000] }],
            [{ concat: [80, 0] }, { concat: ['10.0.0.1', 1000] }],
            [{ concat: [81, 1] }, { concat: ['10.0.0.9', 1000] }],
            [{ concat: [80, 1] }, { concat: ['10.0.0.2', '1000'] }],
            'junk',
          ],
        },
      },
      // The counting set, named by the count rule: 10.0.0.1 counted, 10.0.0.3 without an element (0).
      { rule: { chain: 'post', expr: [{ match: { op: '==', left: { concat: [{ ct: { key: 'proto-dst', dir: 'original' } }, { payload: { protocol: 'ip', field: 'daddr' } }] }, right: '@seen' } }] } },
      { set: { name: 'seen', elem: [{ elem: { val: { concat: [80, '10.0.0.1', 1000] }, counter: { packets: 7, bytes: 420 } } }, { elem: { val: 'junk' } }] } },
      // Port 81's chain has no numgen rule (a table being changed by hand): the port with no endpoint.
      { rule: { chain: 'b', expr: [{ accept: null }] } },
      { rule: { chain: 7, expr: 'junk' } },
      'junk',
      null,
    ],
  };
  assert.deepEqual(parseNftTableView(JSON.stringify(doc), '192.168.168.168'), {
    ok: true,
    ports: [
      {
        servicePort: 80,
        chain: 'a',
        endpoints: [
          { slot: 0, ip: '10.0.0.1', port: 1000, connections: 7 },
          { slot: 2, ip: '10.0.0.3', port: 1000, connections: 0 },
        ],
      },
      { servicePort: 81, chain: 'b', endpoints: [] },
    ],
  });
});
