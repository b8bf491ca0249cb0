import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, type Logger } from '../../../src/core/index.js';
import { ServiceStatus, encodeService, encodeState, parseState } from '../../../src/catalog/index.js';
import { ServicesDelegate } from '../../../src/replication/index.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

function setup(logger: Logger = silentLogger(), clusterName?: string) {
  const fixture = makeState();
  const delegate = new ServicesDelegate({
    state: fixture.state,
    ...(clusterName === undefined ? {} : { clusterName }),
    clock: fixture.clock,
    logger,
  });
  return { ...fixture, delegate };
}

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

test('node metadata is the Go JSON with the cluster name', () => {
  const { delegate } = setup(silentLogger(), 'staging<eu>');
  assert.equal(text(delegate.nodeMeta(512)), '{"ClusterName":"staging\\u003ceu\\u003e","State":"Running"}');
  const plain = setup();
  assert.equal(text(plain.delegate.nodeMeta(512)), '{"ClusterName":"default","State":"Running"}', 'the state cluster name by default');
});

test('node metadata over the limit is empty (never truncated) and logged', () => {
  const { logger, records } = captureLogger();
  const { delegate } = setup(logger, 'x'.repeat(600));
  assert.equal(delegate.nodeMeta(512).length, 0);
  const full = delegate.nodeMeta(1024);
  assert.equal(JSON.parse(text(full)).ClusterName, 'x'.repeat(600));
  assert.equal(records.filter((r) => r.level === LEVEL.error).length, 1);
  const exact = setup(silentLogger(), 'abc').delegate;
  const size = exact.nodeMeta(512).length;
  assert.equal(exact.nodeMeta(size).length, size, 'exactly at the limit fits');
  assert.equal(exact.nodeMeta(size - 1).length, 0);
});

test('a gossip message is one Service JSON merged into the state', () => {
  const { delegate, state } = setup();
  const svc = makeService({ hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') });
  delegate.notifyMessage(bytes(encodeService(svc)));
  assert.deepEqual(state.getService('shakespeare', svc.id), svc);
  assert.deepEqual(delegate.stats, { messagesMerged: 1, messagesMalformed: 0, statesMerged: 0, statesMalformed: 0, stateRecordsSkipped: 0 });
});

const JUNK_MESSAGES: readonly string[] = [
  'not json',
  '{"ID":"a","Hostname":"shakespeare"',
  '[]',
  '"a string"',
  '42',
  'null',
  '{}',
  '{"ID":"a","Hostname":"","Updated":"2023-11-14T10:21:35Z"}',
  '{"ID":"","Hostname":"shakespeare","Updated":"2023-11-14T10:21:35Z"}',
  '{"ID":7,"Hostname":"shakespeare","Updated":"2023-11-14T10:21:35Z"}',
  '{"ID":"a","Hostname":"shakespeare","Updated":"yesterday"}',
  '{"ID":"a","Hostname":"shakespeare","Updated":"2023-11-14T10:21:35Z","Ports":{}}',
  '{"ID":"a","Hostname":"shakespeare","Updated":"2023-11-14T10:21:35Z","Status":1.5}',
  '\u0000\u0001\u00ff',
];

test('junk messages never throw and change nothing', () => {
  const { delegate, state } = setup();
  state.addServiceEntry(makeService());
  const before = encodeState(state);
  const version = state.version;
  for (const junk of JUNK_MESSAGES) assert.doesNotThrow(() => delegate.notifyMessage(bytes(junk)), junk);
  assert.doesNotThrow(() => delegate.notifyMessage(Uint8Array.from([0xc3, 0x28, 0xff])));
  assert.doesNotThrow(() => delegate.notifyMessage(new Uint8Array(0)));
  assert.equal(encodeState(state), before);
  assert.equal(state.version, version);
  assert.equal(delegate.stats.messagesMalformed, JUNK_MESSAGES.length + 1, 'the empty message is ignored, not counted');
  assert.equal(delegate.stats.messagesMerged, 0);
});

test('malformed input is logged at most once per interval, with the number held back', () => {
  const { logger, records } = captureLogger();
  const fixture = makeState();
  const delegate = new ServicesDelegate({ state: fixture.state, clock: fixture.clock, logger, malformedLogIntervalMs: 10_000 });
  const warnings = () => records.filter((r) => r.level === LEVEL.warn);
  for (let i = 0; i < 5; i++) delegate.notifyMessage(bytes('junk'));
  assert.equal(warnings().length, 1);
  assert.equal(warnings()[0]?.['held'], 0);
  assert.equal(warnings()[0]?.['sample'], 'junk');
  assert.equal(warnings()[0]?.['code'], 'SC_ERR_CATALOG_BAD_JSON');
  fixture.clock.advance(9_999);
  delegate.mergeRemoteState(bytes('junk'), false);
  assert.equal(warnings().length, 1);
  fixture.clock.advance(1);
  delegate.notifyMessage(bytes('x'.repeat(5000)));
  assert.equal(warnings().length, 2);
  assert.equal(warnings()[1]?.['held'], 5);
  assert.equal(String(warnings()[1]?.['sample']).length, 200, 'only a sample of a big payload is logged');
});

test('the local state is the full state JSON (the /api/state.json document)', () => {
  const { delegate, state } = setup();
  state.addServiceEntry(makeService());
  state.addServiceEntry(makeService({ id: 'r1', hostname: 'shakespeare', status: ServiceStatus.DRAINING }));
  for (const join of [true, false]) {
    const body = text(delegate.localState(join));
    assert.equal(body, encodeState(state));
    const decoded = parseState(body);
    assert.equal(decoded.clusterName, 'default');
    assert.equal(decoded.hostname, 'chaucer');
    assert.equal(decoded.services.length, 2);
  }
});

test('a remote state merges every record through the merge rules; its ClusterName and Hostname are ignored', () => {
  const { delegate, state } = setup();
  state.addServiceEntry(makeService({ id: 'd1', hostname: 'shakespeare', status: ServiceStatus.DRAINING, updated: ts('2023-11-14T10:21:35Z') }));
  // The peer's clock is hours behind, so it still holds a record that is stale for us.
  const peer = makeState('2023-11-14T06:00:10Z', 'shakespeare');
  peer.state.addServiceEntry(makeService({ id: 'd1', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:36Z') }));
  peer.state.addServiceEntry(makeService({ id: 'm1', hostname: 'marlowe', updated: ts('2023-11-14T10:21:36Z') }));
  peer.state.addServiceEntry(makeService({ id: 'old', hostname: 'marlowe', updated: ts('2023-11-14T06:00:00Z') }));
  assert.ok(peer.state.getService('marlowe', 'old'), 'the peer still has the old record');
  // The Go Sidecar's join-time state carries an empty ClusterName.
  const body = encodeState({ ...peerView(peer.state), clusterName: '' });
  delegate.mergeRemoteState(bytes(body), true);
  assert.equal(state.getService('shakespeare', 'd1')?.status, ServiceStatus.DRAINING, 'DRAINING stays sticky');
  assert.equal(state.getService('shakespeare', 'd1')?.updated, ts('2023-11-14T10:21:36Z'));
  assert.ok(state.getService('marlowe', 'm1'));
  assert.equal(state.getService('marlowe', 'old'), undefined, 'stale records are dropped');
  assert.equal(delegate.stats.statesMerged, 1);
});

function peerView(state: ReturnType<typeof makeState>['state']) {
  return { servers: state.servers, lastChanged: state.lastChanged, clusterName: state.clusterName, hostname: state.hostname };
}

test('junk states never throw and change nothing', () => {
  const { delegate, state } = setup();
  state.addServiceEntry(makeService());
  const before = encodeState(state);
  const version = state.version;
  const junk = [
    'junk',
    '[]',
    'null',
    '{"Servers":[]}',
    '{"Servers":{"x":{"Services":[1]}}}',
    '{"Servers":{"x":{"Services":{"a":{"ID":1}}}}}',
    '{"Servers":{"x":{"Services":{"a":{"ID":"a","Hostname":"x","Updated":"2023-11-14T10:21:35Z"},"b":"nope"}}}}',
    '{"Servers":{"x":',
  ];
  for (const j of junk) assert.doesNotThrow(() => delegate.mergeRemoteState(bytes(j), false), j);
  assert.equal(encodeState(state), before);
  assert.equal(state.version, version);
  assert.equal(delegate.stats.statesMalformed, junk.length - 1, '`null` is an empty state');
  assert.equal(delegate.stats.statesMerged, 1);
});

test('records without ID or Hostname inside a state are skipped, the others merged', () => {
  const { delegate, state } = setup();
  const good = makeService({ id: 'g1', hostname: 'marlowe', updated: ts('2023-11-14T10:21:36Z') });
  const noId = '{"ID":"","Hostname":"marlowe","Updated":"2023-11-14T10:21:36Z"}';
  const noHost = '{"ID":"y","Updated":"2023-11-14T10:21:36Z"}';
  const body = `{"Servers":{"marlowe":{"Services":{"g1":${encodeService(good)},"x":${noId}}},"":{"Services":{"y":${noHost}}}}}`;
  delegate.mergeRemoteState(bytes(body), false);
  assert.deepEqual(state.getService('marlowe', 'g1'), good);
  assert.equal(state.hasServer(''), false);
  assert.equal(delegate.stats.stateRecordsSkipped, 2);
});

test('a state listener that throws does not escape the delegate', () => {
  const { logger, records } = captureLogger();
  const { delegate, state } = setup(logger);
  state.onDidChangeService(() => {
    throw new Error('listener bug');
  });
  const svc = makeService({ hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') });
  assert.doesNotThrow(() => delegate.notifyMessage(bytes(encodeService(svc))));
  assert.equal(records.filter((r) => r.level === LEVEL.error && r.msg === 'Merging a received record failed').length, 1);
});
