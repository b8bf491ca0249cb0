import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeService,
  encodeState,
  parseService,
  parseState,
  encodeStateChangedEvent,
  serviceJsonTemplate,
  serviceJsonWithUpdated,
  encodeNodeMeta,
  ServiceStatus,
  statusString,
} from '../../../src/catalog/index.js';
import { hasCode, ErrorCode } from '../../../src/core/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

test('a Service encodes with Go field order, int status and RFC3339Nano times', () => {
  assert.equal(
    encodeService(makeService()),
    '{"ID":"deadbeef123","Name":"bocaccio","Image":"101deadbeef","Created":"2023-11-14T10:21:33.123456789Z",' +
      '"Hostname":"chaucer","Ports":[{"Type":"tcp","Port":9999,"ServicePort":10100,"IP":"127.0.0.1"}],' +
      '"Updated":"2023-11-14T10:21:34.5Z","ProxyMode":"http","Status":0}',
  );
});

test('Ports: null and [] are kept apart', () => {
  assert.match(encodeService(makeService({ ports: null })), /"Ports":null/);
  assert.match(encodeService(makeService({ ports: [] })), /"Ports":\[\]/);
  assert.equal(parseService('{"Ports":null}').ports, null);
  assert.deepEqual(parseService('{"Ports":[]}').ports, []);
});

test('the state document matches the reference example byte for byte', () => {
  const { state } = makeState('2023-11-14T10:21:40Z');
  state.addServiceEntry(makeService());
  const expected =
    '{"Servers":{"chaucer":{"Name":"chaucer","Services":{"deadbeef123":' +
    encodeService(makeService()) +
    '},"LastUpdated":"2023-11-14T10:21:34.5Z","LastChanged":"2023-11-14T10:21:34.5Z"}},' +
    '"LastChanged":"2023-11-14T10:21:34.5Z","ClusterName":"default","Hostname":"chaucer"}';
  assert.equal(encodeState(state), expected);
});

test('servers and services are emitted in sorted key order', () => {
  const { state } = makeState('2023-11-14T10:21:40Z');
  state.addServiceEntry(makeService({ hostname: 'shakespeare', id: 'b2' }));
  state.addServiceEntry(makeService({ hostname: 'chaucer', id: 'a9' }));
  state.addServiceEntry(makeService({ hostname: 'chaucer', id: 'a1' }));
  const json = encodeState(state);
  assert.ok(json.indexOf('"chaucer"') < json.indexOf('"shakespeare"'));
  assert.ok(json.indexOf('"a1":') < json.indexOf('"a9":'));
});

test('decoding matches keys case-insensitively and ignores unknown keys', () => {
  const svc = parseService(
    '{"id":"x1","NAME":"web","image":"img:2","hostname":"h","ports":[{"type":"tcp","port":80,"serviceport":8080,"ip":"10.0.0.1"}],' +
      '"updated":"2023-11-14T10:21:34Z","proxymode":"tcp","status":2,"Extra":{"nested":true}}',
  );
  assert.equal(svc.id, 'x1');
  assert.equal(svc.name, 'web');
  assert.deepEqual(svc.ports, [{ type: 'tcp', port: 80, servicePort: 8080, ip: '10.0.0.1' }]);
  assert.equal(svc.updated, ts('2023-11-14T10:21:34Z'));
  assert.equal(svc.status, ServiceStatus.UNHEALTHY);
});

test('decoding errors name the field and never pass junk on', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /not valid JSON/],
    ['[1,2]', /expected an object/],
    ['{"Status":"up"}', /Service\.Status: expected an integer/],
    ['{"Ports":[{"Port":1.5}]}', /Ports\[0\]\.Port: expected an integer/],
    ['{"Updated":"yesterday"}', /Service\.Updated/],
    ['{"Ports":{}}', /Ports: expected an array/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseService(text), (err) => hasCode(err, ErrorCode.CATALOG_BAD_JSON) && message.test((err as Error).message), text);
  }
});

test('a full state round-trips through parseState', () => {
  const { state } = makeState('2023-11-14T10:21:40Z');
  state.addServiceEntry(makeService());
  state.addServiceEntry(makeService({ hostname: 'shakespeare', id: 'deadbeef456', name: 'shakespeare', ports: null }));
  const decoded = parseState(encodeState(state));
  assert.equal(decoded.services.length, 2);
  assert.equal(decoded.clusterName, 'default');
  assert.deepEqual(
    decoded.services.find((s) => s.id === 'deadbeef123'),
    makeService(),
  );
});

test('status strings, unknown codes print Tombstone', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 9].map(statusString), ['Alive', 'Tombstone', 'Unhealthy', 'Unknown', 'Draining', 'Tombstone']);
});

test('the listener body is {"State", "ChangeEvent": {"Service","PreviousStatus","Time"}}', () => {
  const { state } = makeState('2023-11-14T10:21:40Z');
  const events: Parameters<typeof encodeStateChangedEvent>[1][] = [];
  state.onDidChangeService((e) => events.push(e));
  state.addServiceEntry(makeService());
  const event = events[0];
  assert.ok(event !== undefined);
  const body = encodeStateChangedEvent(state, event);
  assert.equal(
    body,
    `{"State":${encodeState(state)},"ChangeEvent":{"Service":${encodeService(makeService())},"PreviousStatus":3,"Time":"2023-11-14T10:21:34.5Z"}}`,
  );
});

test('node metadata is {"ClusterName","State":"Running"} (11)', () => {
  assert.equal(encodeNodeMeta('default'), '{"ClusterName":"default","State":"Running"}');
});

test('a record encoded once with serviceJsonTemplate gives the same JSON as encoding each repeat', () => {
  const tricky = makeService({ name: 'x","Updated":"2001-01-01T00:00:00Z",', image: '"Updated":' });
  for (const svc of [makeService(), makeService({ ports: null }), tricky]) {
    const template = serviceJsonTemplate(svc);
    for (const bump of [0n, 50n, 200n, 1_000_000_000n]) {
      assert.equal(serviceJsonWithUpdated(template, svc.updated + bump), encodeService({ ...svc, updated: svc.updated + bump }));
    }
  }
});
