import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter, silentLogger, type Event } from '../../../src/core/index.js';
import {
  ServiceStatus,
  encodeService,
  lifespans,
  parseService,
  type Service,
} from '../../../src/catalog/index.js';
import type { GossipCluster, Member, MemberState } from '../../../src/membership/index.js';
import { BroadcastScheduler, Replicator, ServicesDelegate, broadcastKey } from '../../../src/replication/index.js';
import { localServicesOn } from '../../helpers/local-services.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

interface Sent {
  readonly text: string;
  readonly key: string | undefined;
}

/** An in-memory cluster: records what is broadcast, and lets the test fire member events. */
class FakeCluster implements GossipCluster {
  readonly localName = 'chaucer';
  readonly sent: Sent[] = [];
  readonly joined = new Emitter<Member>();
  readonly left = new Emitter<Member>();
  readonly updated = new Emitter<Member>();
  readonly onDidJoin: Event<Member> = this.joined.event;
  readonly onDidLeave: Event<Member> = this.left.event;
  readonly onDidUpdate: Event<Member> = this.updated.event;
  all: Member[] = [];
  refuse = false;

  broadcast(payload: Uint8Array, key?: string): void {
    if (this.refuse) throw new Error('cluster closed');
    this.sent.push({ text: Buffer.from(payload).toString('utf8'), key });
  }
  liveMembers(): Member[] {
    return this.all.filter((m) => m.state === 'alive' || m.state === 'suspect');
  }
  members(): Member[] {
    return [...this.all];
  }
  updateMeta(): void {}
}

function member(name: string, state: MemberState = 'alive'): Member {
  return {
    name,
    addr: Uint8Array.from([10, 0, 0, 2]),
    port: 7946,
    meta: Buffer.from('{"ClusterName":"default","State":"Running"}'),
    vsn: Uint8Array.from([1, 5, 2, 0, 0, 0]),
    incarnation: 1,
    state,
    stateChangeMs: 0,
  };
}

function setup(options: { logger?: ReturnType<typeof silentLogger> } = {}) {
  const fixture = makeState();
  const scheduler = new BroadcastScheduler(fixture.clock);
  const cluster = new FakeCluster();
  const logger = options.logger ?? silentLogger();
  const delegate = new ServicesDelegate({ state: fixture.state, clusterName: 'default', clock: fixture.clock, logger });
  const replicator = new Replicator({ state: fixture.state, scheduler, cluster, logger, disputes: delegate.onDidDisputeOwnRecord });
  replicator.start();
  return { ...fixture, scheduler, cluster, replicator, delegate };
}

const message = (svc: Service): Uint8Array => Buffer.from(encodeService(svc), 'utf8');

test('a service announced locally is gossiped as its Service JSON, keyed by host/ID, once per timed send', () => {
  const fixture = setup();
  const { clock, scheduler, cluster } = fixture;
  const local = makeService({ id: 'abc123', updated: ts('2023-11-14T10:21:40Z') });
  const sync = localServicesOn(fixture, scheduler, () => [local]).local;
  sync.aliveTick();
  assert.equal(cluster.sent.length, 0, 'the first send is one interval later');
  clock.advance(lifespans.ALIVE_COUNT * lifespans.RETRANSMIT_INTERVAL_MS);
  assert.equal(cluster.sent.length, lifespans.ALIVE_COUNT);
  for (const sent of cluster.sent) assert.equal(sent.key, 'chaucer/abc123');
  const first = parseService(cluster.sent[0]?.text ?? '');
  assert.equal(cluster.sent[0]?.text, encodeService(first), 'exactly the Go encoding');
  assert.deepEqual(
    cluster.sent.map((s) => parseService(s.text).updated - first.updated),
    [0n, 50n, 100n, 150n, 200n],
  );
  assert.equal(first.id, 'abc123');
  assert.equal(first.status, ServiceStatus.ALIVE);
});

test('every service of a batch is one broadcast, in batch order', () => {
  const { scheduler, cluster, clock, replicator } = setup();
  const a = makeService({ id: 'a1' });
  const b = makeService({ id: 'b2', hostname: 'shakespeare', name: 'dante' });
  scheduler.send([a, b], 1);
  clock.advance(1000);
  assert.deepEqual(cluster.sent, [
    { text: encodeService(a), key: 'chaucer/a1' },
    { text: encodeService(b), key: 'shakespeare/b2' },
  ]);
  assert.equal(replicator.stats.broadcasts, 2);
  assert.equal(broadcastKey(b), 'shakespeare/b2');
});

test('a received message is merged and relayed once; an older or equal one is neither', () => {
  const { state, cluster, delegate, replicator } = setup();
  const remote = makeService({ id: 'r1', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') });
  delegate.notifyMessage(message(remote));
  assert.deepEqual(state.getService('shakespeare', 'r1'), remote);
  assert.deepEqual(cluster.sent, [{ text: encodeService(remote), key: 'shakespeare/r1' }]);

  delegate.notifyMessage(message(remote));
  delegate.notifyMessage(message({ ...remote, updated: ts('2023-11-14T10:21:34Z'), status: ServiceStatus.UNHEALTHY }));
  assert.equal(cluster.sent.length, 1, 'equal and older records are not relayed');
  assert.equal(state.getService('shakespeare', 'r1')?.status, ServiceStatus.ALIVE);

  const newer = { ...remote, updated: ts('2023-11-14T10:21:36Z'), status: ServiceStatus.UNHEALTHY };
  delegate.notifyMessage(message(newer));
  assert.equal(cluster.sent.length, 2);
  assert.equal(cluster.sent[1]?.text, encodeService(newer));
  assert.equal(replicator.stats.relayed, 2);
  assert.equal(delegate.stats.messagesMerged, 4);
});

test('records of our own host received from peers are merged but never relayed', () => {
  const { state, cluster, delegate } = setup();
  const ours = makeService({ id: 'own1', updated: ts('2023-11-14T10:21:35Z') });
  delegate.notifyMessage(message(ours));
  assert.deepEqual(state.getLocalServiceById('own1'), ours);
  assert.equal(cluster.sent.length, 0);
});

test('records accepted from a push/pull state are relayed once each', () => {
  const { cluster, delegate } = setup();
  const peer = makeState('2023-11-14T10:21:40Z', 'shakespeare');
  const a = makeService({ id: 'p1', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') });
  const b = makeService({ id: 'p2', hostname: 'marlowe', updated: ts('2023-11-14T10:21:36Z') });
  peer.state.addServiceEntry(a);
  peer.state.addServiceEntry(b);
  const peerDelegate = new ServicesDelegate({ state: peer.state, clock: peer.clock, logger: silentLogger() });
  const body = peerDelegate.localState(false);
  delegate.mergeRemoteState(body, false);
  assert.deepEqual(
    cluster.sent.map((s) => s.key),
    ['marlowe/p2', 'shakespeare/p1'],
  );
  delegate.mergeRemoteState(body, false);
  assert.equal(cluster.sent.length, 2, 'a second identical state brings nothing new');
});

test('a member leaving tombstones its live records and sends them 10 times, 1 s apart', () => {
  const { state, cluster, clock, delegate, scheduler, replicator } = setup();
  const s1 = makeService({ id: 's1', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') });
  const s2 = makeService({ id: 's2', hostname: 'shakespeare', name: 'dante', updated: ts('2023-11-14T10:21:36Z') });
  const other = makeService({ id: 'm1', hostname: 'marlowe', updated: ts('2023-11-14T10:21:36Z') });
  for (const svc of [s1, s2, other]) delegate.notifyMessage(message(svc));
  cluster.sent.length = 0;
  const changes: number[] = [];
  state.onDidChangeService((e) => changes.push(e.previousStatus));

  cluster.left.fire(member('shakespeare', 'dead'));
  assert.equal(state.getService('shakespeare', 's1')?.status, ServiceStatus.TOMBSTONE);
  assert.equal(state.getService('shakespeare', 's2')?.status, ServiceStatus.TOMBSTONE);
  assert.equal(state.getService('marlowe', 'm1')?.status, ServiceStatus.ALIVE, 'other hosts untouched');
  assert.deepEqual(changes, [ServiceStatus.ALIVE, ServiceStatus.ALIVE]);
  assert.equal(scheduler.pending, 1);
  assert.equal(cluster.sent.length, 0, 'sent by the scheduler, from one interval on');

  clock.advance(lifespans.TOMBSTONE_COUNT * lifespans.RETRANSMIT_INTERVAL_MS);
  assert.equal(cluster.sent.length, 2 * lifespans.TOMBSTONE_COUNT);
  for (const sent of cluster.sent) {
    const svc = parseService(sent.text);
    assert.equal(svc.status, ServiceStatus.TOMBSTONE);
    assert.equal(sent.key, `shakespeare/${svc.id}`);
  }
  assert.equal(scheduler.pending, 0);
  assert.equal(replicator.stats.hostsExpired, 1);

  clock.advance(5000);
  cluster.left.fire(member('shakespeare', 'left'));
  assert.equal(scheduler.pending, 0, 'a host with only tombstones sends nothing');
  cluster.left.fire(member('nobody', 'dead'));
  assert.equal(scheduler.pending, 0, 'an unknown host sends nothing');
});

test('a newer record relayed while a tombstone of it is being repeated ends those repeats (the gossip queue keeps the newer)', () => {
  const { state, cluster, clock, delegate, scheduler } = setup();
  const s1 = makeService({ id: 's1', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') });
  const s2 = makeService({ id: 's2', hostname: 'shakespeare', name: 'dante', updated: ts('2023-11-14T10:21:36Z') });
  for (const svc of [s1, s2]) delegate.notifyMessage(message(svc));
  cluster.left.fire(member('shakespeare', 'dead'));
  clock.advance(2000);
  cluster.sent.length = 0;
  // The host was not gone after all: s1 comes back, newer than our tombstone, and is relayed.
  const back = { ...s1, updated: (state.getService('shakespeare', 's1')?.updated ?? 0n) + 1_000_000_000n };
  delegate.notifyMessage(message(back));
  assert.deepEqual(cluster.sent, [{ text: encodeService(back), key: 'shakespeare/s1' }]);
  clock.advance(lifespans.TOMBSTONE_COUNT * lifespans.RETRANSMIT_INTERVAL_MS);
  const s1Sent = cluster.sent.filter((sent) => sent.key === 'shakespeare/s1');
  assert.deepEqual(s1Sent, [{ text: encodeService(back), key: 'shakespeare/s1' }], 'no tombstone repeat took its place');
  assert.equal(cluster.sent.filter((sent) => sent.key === 'shakespeare/s2').length, lifespans.TOMBSTONE_COUNT - 2, 's2 still tombstoned');
  assert.equal(scheduler.trackedKeys, 0);
});

test('our own name leaving does not tombstone our records', () => {
  const { state, cluster, delegate, scheduler } = setup();
  delegate.notifyMessage(message(makeService({ id: 'own1', updated: ts('2023-11-14T10:21:35Z') })));
  cluster.left.fire(member('chaucer', 'left'));
  assert.equal(state.getLocalServiceById('own1')?.status, ServiceStatus.ALIVE);
  assert.equal(scheduler.pending, 0);
});

test('joins and updates are logged at debug (membership logs them at info with the address)', () => {
  const { logger, records } = captureLogger();
  const { cluster } = setup({ logger });
  cluster.joined.fire(member('marlowe'));
  cluster.updated.fire(member('marlowe'));
  const join = records.find((r) => r.msg === 'Cluster member joined');
  assert.equal(join?.level, LEVEL.debug);
  assert.equal(join?.['address'], '10.0.0.2:7946');
  assert.equal(records.find((r) => r.msg === 'Cluster member updated its metadata')?.level, LEVEL.debug);
});

test('a broadcast the cluster refuses is counted and logged, never thrown into the scheduler', () => {
  const { logger, records } = captureLogger();
  const { scheduler, cluster, clock, replicator } = setup({ logger });
  cluster.refuse = true;
  scheduler.send([makeService()], 2);
  assert.doesNotThrow(() => clock.advance(2000));
  assert.equal(replicator.stats.broadcastFailures, 2);
  assert.equal(replicator.stats.broadcasts, 0);
  assert.equal(records.filter((r) => r.msg === 'Could not gossip a record').length, 2);
});

test('close() is idempotent and stops every subscription', () => {
  const { scheduler, cluster, clock, replicator, delegate, state } = setup();
  replicator.start();
  scheduler.send([makeService()], 1);
  clock.advance(1000);
  assert.equal(cluster.sent.length, 1, 'start() twice subscribes once');
  replicator.close();
  replicator.close();
  scheduler.send([makeService()], 1);
  clock.advance(1000);
  delegate.notifyMessage(message(makeService({ id: 'x', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') })));
  assert.ok(state.getService('shakespeare', 'x'), 'the delegate still merges');
  state.addServiceEntry(makeService({ id: 'y', hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') }));
  cluster.left.fire(member('shakespeare'));
  assert.equal(cluster.sent.length, 1, 'nothing is broadcast after close');
  assert.equal(state.getService('shakespeare', 'x')?.status, ServiceStatus.ALIVE, 'leaves are not handled after close');
  assert.throws(() => replicator.start(), /after close/);
});

test('a stale copy of one of our own services (a tombstone made while cut off) is answered with our record, once a second', () => {
  const { state, cluster, delegate, clock } = setup();
  const own = makeService({ id: 'own1', updated: ts('2023-11-14T10:21:39Z') });
  state.addServiceEntry(own);
  const before = cluster.sent.length;
  const staleTombstone = { ...own, status: ServiceStatus.TOMBSTONE, updated: ts('2023-11-14T10:21:38Z') };
  delegate.notifyMessage(message(staleTombstone));
  delegate.notifyMessage(message(staleTombstone));
  assert.equal(state.getLocalServiceById('own1')?.status, ServiceStatus.ALIVE, 'our record stays');
  assert.equal(cluster.sent.length, before + 1, 'announced once');
  assert.equal(parseService(cluster.sent.at(-1)?.text ?? '').status, ServiceStatus.ALIVE);
  clock.advance(1000);
  delegate.notifyMessage(message(staleTombstone));
  assert.equal(cluster.sent.length, before + 2, 'again after a second');
  delegate.notifyMessage(message({ ...own }));
  assert.equal(cluster.sent.length, before + 2, 'an equal copy is no dispute');
});

test('a peer that kept DRAINING against our ALIVE is not sent the ALIVE again (it would keep DRAINING); the dispute still fires', () => {
  const { state, cluster, delegate } = setup();
  const own = makeService({ id: 'own2', updated: ts('2023-11-14T10:21:39Z') });
  state.addServiceEntry(own);
  const disputes: Array<{ ours: Service; theirs: Service }> = [];
  delegate.onDidDisputeOwnRecord((d) => disputes.push(d));
  const before = cluster.sent.length;
  delegate.notifyMessage(message({ ...own, status: ServiceStatus.DRAINING }));
  assert.equal(cluster.sent.length, before, 'no ALIVE re-announced');
  assert.equal(disputes.length, 1);
  assert.equal(disputes[0]?.theirs.status, ServiceStatus.DRAINING);
  assert.equal(disputes[0]?.ours.status, ServiceStatus.ALIVE);
});
