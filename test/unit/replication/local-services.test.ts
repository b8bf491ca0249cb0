import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceStatus, ServicesState, type Service } from '../../../src/catalog/index.js';
import { BroadcastScheduler, MAX_RECORDS_PER_TURN } from '../../../src/replication/index.js';
import { localServicesOn } from '../../helpers/local-services.js';
import { msToTimestamp, silentLogger } from '../../../src/core/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';

function setup(initial: Service[]) {
  const fixture = makeState('2023-11-14T10:21:35Z');
  const scheduler = new BroadcastScheduler(fixture.clock);
  const sent: Array<readonly Service[]> = [];
  scheduler.onDidBroadcast((batch) => sent.push(batch));
  let local = initial;
  // The Go Sidecar's 1 s refresh, which these tests were written for.
  const sync = localServicesOn(fixture, scheduler, () => local, { refreshIntervalMs: 1000 }).local;
  return { ...fixture, scheduler, sent, sync, setLocal: (s: Service[]) => (local = s) };
}

test('a new local service is announced 5 times, 1 s apart, +50 ns per repeat (27, 28)', () => {
  const { sync, sent, clock } = setup([makeService()]);
  sync.aliveTick();
  assert.equal(sent.length, 0, 'first send one interval later');
  clock.advance(5000);
  assert.equal(sent.length, 5);
  const first = sent[0]?.[0]?.updated ?? 0n;
  assert.deepEqual(
    sent.map((b) => (b[0]?.updated ?? 0n) - first),
    [0n, 50n, 100n, 150n, 200n],
  );
});

test('unchanged services are re-announced once a minute, not before', () => {
  const { sync, sent, clock } = setup([makeService()]);
  sync.aliveTick();
  clock.advance(5000);
  sent.length = 0;
  for (let i = 0; i < 50; i++) {
    clock.advance(1000);
    sync.aliveTick();
  }
  clock.advance(2000);
  assert.equal(sent.length, 0);
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    sync.aliveTick();
  }
  clock.advance(2000);
  assert.equal(sent.length, 1, 'one single send when nothing is new');
});

test('tracking refreshes Updated every tick without change events', () => {
  const { sync, state, clock } = setup([makeService()]);
  let changes = 0;
  state.onDidChangeService(() => changes++);
  sync.aliveTick();
  clock.advance(1000);
  sync.aliveTick();
  assert.equal(changes, 1);
  assert.equal(state.getLocalServiceById('deadbeef123')?.updated, msToTimestamp(clock.nowMs()));
});

test('a vanished local service is tombstoned and sent as 2 copies × 10 (25, 26)', () => {
  const { sync, sent, clock, setLocal, state } = setup([makeService()]);
  sync.aliveTick();
  clock.advance(6000);
  sent.length = 0;
  setLocal([]);
  sync.tombstoneTick();
  assert.equal(state.getLocalServiceById('deadbeef123')?.status, ServiceStatus.TOMBSTONE);
  clock.advance(10_000);
  assert.equal(sent.length, 10);
  assert.ok(sent.every((b) => b.length === 2 && b.every((s) => s.status === ServiceStatus.TOMBSTONE)));
});

test('a drained local service stays DRAINING while health passes, and the drain is announced', () => {
  const { sync, sent, clock, state, stamps } = setup([makeService()]);
  sync.aliveTick();
  clock.advance(6000);
  sent.length = 0;
  state.addServiceEntry({ ...makeService(), status: ServiceStatus.DRAINING, updated: stamps.now() });
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    sync.aliveTick();
  }
  clock.advance(6000);
  assert.equal(state.getLocalServiceById('deadbeef123')?.status, ServiceStatus.DRAINING);
  assert.ok(sent.every((b) => b.every((s) => s.status === ServiceStatus.DRAINING)));
});

test('start() and dispose() leave no timers behind', () => {
  const { sync, scheduler, clock } = setup([makeService()]);
  sync.start();
  sync.aliveTick();
  sync.dispose();
  scheduler.close();
  assert.equal(clock.pendingTimers, 0);
});

test('a batch larger than MAX_RECORDS_PER_TURN goes to gossip in slices on consecutive turns, in order', () => {
  const { clock } = makeState();
  const scheduler = new BroadcastScheduler(clock);
  const sent: Array<readonly Service[]> = [];
  scheduler.onDidBroadcast((batch) => sent.push(batch));
  const batch = Array.from({ length: MAX_RECORDS_PER_TURN * 2 + 7 }, (_, i) => makeService({ id: `s${i}` }));
  scheduler.send(batch, 2);
  clock.advance(1000);
  assert.deepEqual(sent.map((b) => b.length), [MAX_RECORDS_PER_TURN, MAX_RECORDS_PER_TURN, 7]);
  assert.deepEqual(sent.flat().map((s) => s.id), batch.map((s) => s.id));
  clock.advance(1000);
  assert.equal(sent.length, 6, 'the repeat is sliced the same way');
  assert.equal(sent[3]?.[0]?.updated, (batch[0]?.updated ?? 0n) + 50n);
  // Closed after the first slice of a send: the other slices never go.
  scheduler.onDidBroadcast(() => scheduler.close());
  scheduler.send(batch, 1);
  clock.advance(1000);
  assert.equal(sent.length, 7);
  assert.equal(clock.pendingTimers, 0, 'close() dropped the slices still to come');
});

test('a discovery change is stamped, merged and announced on the next turn, first copy at once, without a refresh round', () => {
  const fixture = makeState('2023-11-14T10:21:35Z');
  const scheduler = new BroadcastScheduler(fixture.clock);
  const sent: Array<readonly Service[]> = [];
  scheduler.onDidBroadcast((batch) => sent.push(batch));
  let list: Service[] = [];
  const { local, changed } = localServicesOn(fixture, scheduler, () => list);
  local.start();
  list = [makeService({ id: 'new1' })];
  changed();
  fixture.clock.advance(0);
  assert.equal(fixture.state.getLocalServiceById('new1')?.status, ServiceStatus.ALIVE);
  assert.equal(fixture.state.getLocalServiceById('new1')?.updated, msToTimestamp(fixture.clock.nowMs()), 'stamped now');
  assert.deepEqual(sent.map((b) => b.map((s) => s.id)), [['new1']], 'the first copy went at once');
  fixture.clock.advance(4000);
  assert.equal(sent.length, 5, 'and 4 repeats, 1 s apart');
  list = [];
  changed();
  fixture.clock.advance(0);
  assert.equal(fixture.state.getLocalServiceById('new1')?.status, ServiceStatus.TOMBSTONE, 'gone: tombstoned at once');
  assert.ok(sent.at(-1)?.every((s) => s.status === ServiceStatus.TOMBSTONE));
  local.dispose();
  scheduler.close();
  assert.equal(fixture.clock.pendingTimers, 0);
});

test('refreshed every 10 s (the default): our records stay at most 10 s old and a peer that hears only the broadcasts never expires them', () => {
  const fixture = makeState('2023-11-14T10:21:35Z');
  const scheduler = new BroadcastScheduler(fixture.clock);
  const peer = new ServicesState({ hostname: 'peer', clusterName: 'default', clock: fixture.clock, stamps: fixture.stamps, logger: silentLogger() });
  scheduler.onDidBroadcast((batch) => batch.forEach((svc) => peer.addServiceEntry(svc)));
  const { local } = localServicesOn(fixture, scheduler, () => [makeService()]);
  local.start();
  let refreshes = 0;
  let lastUpdated = fixture.state.getLocalServiceById('deadbeef123')?.updated;
  for (let s = 0; s < 600; s++) {
    fixture.clock.advance(1000);
    const updated = fixture.state.getLocalServiceById('deadbeef123')?.updated;
    if (updated !== lastUpdated) refreshes++;
    lastUpdated = updated;
    assert.ok(msToTimestamp(fixture.clock.nowMs()) - (updated ?? 0n) <= 10_000_000_000n, `at most 10 s old at ${s} s`);
    assert.deepEqual(peer.tombstoneExpired(), [], `nothing expired on the peer at ${s} s`);
  }
  assert.equal(peer.getService('chaucer', 'deadbeef123')?.status, ServiceStatus.ALIVE);
  assert.ok(refreshes <= 61, `${refreshes} refreshes in 10 min, not one a second`);
  local.dispose();
  scheduler.close();
});
