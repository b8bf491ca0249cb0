import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceStatus, type ChangeEvent, type Service } from '../../../src/catalog/index.js';
import { EPOCH } from '../../../src/core/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

function record(state: ReturnType<typeof makeState>['state']) {
  const events: ChangeEvent[] = [];
  const relayed: Service[] = [];
  state.onDidChangeService((e) => events.push(e));
  state.onDidAcceptRemote((s) => relayed.push(s));
  return { events, relayed };
}

test('first sighting stores the record and fires PreviousStatus UNKNOWN (14, 20)', () => {
  const { state } = makeState();
  const { events } = record(state);
  state.addServiceEntry(makeService());
  assert.equal(events.length, 1);
  assert.equal(events[0]?.previousStatus, ServiceStatus.UNKNOWN);
  assert.equal(events[0]?.time, ts('2023-11-14T10:21:34.5Z'));
  assert.equal(state.lastChanged, ts('2023-11-14T10:21:34.5Z'));
  assert.equal(state.servers.get('chaucer')?.lastChanged, ts('2023-11-14T10:21:34.5Z'));
});

test('strictly newer wins; equal or older is ignored (12)', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService());
  state.addServiceEntry(makeService({ image: 'older', updated: ts('2023-11-14T10:21:34Z') }));
  state.addServiceEntry(makeService({ image: 'same-time' }));
  assert.equal(state.getService('chaucer', 'deadbeef123')?.image, '101deadbeef');
  state.addServiceEntry(makeService({ image: 'newer', updated: ts('2023-11-14T10:21:34.500000001Z') }));
  assert.equal(state.getService('chaucer', 'deadbeef123')?.image, 'newer');
});

test('status change fires with the old status; same status moves LastUpdated only (15, 16)', () => {
  const { state } = makeState();
  const { events } = record(state);
  state.addServiceEntry(makeService());
  state.addServiceEntry(makeService({ updated: ts('2023-11-14T10:21:35Z') }));
  assert.equal(events.length, 1);
  assert.equal(state.lastChanged, ts('2023-11-14T10:21:34.5Z'));
  assert.equal(state.servers.get('chaucer')?.lastUpdated, ts('2023-11-14T10:21:35Z'));
  state.addServiceEntry(makeService({ status: ServiceStatus.UNHEALTHY, updated: ts('2023-11-14T10:21:36Z') }));
  assert.equal(events.length, 2);
  assert.equal(events[1]?.previousStatus, ServiceStatus.ALIVE);
  assert.equal(state.lastChanged, ts('2023-11-14T10:21:36Z'));
});

test('DRAINING is sticky against ALIVE but not against TOMBSTONE or UNHEALTHY (17, 18)', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService({ status: ServiceStatus.DRAINING }));
  state.addServiceEntry(makeService({ image: 'v2', updated: ts('2023-11-14T10:21:35Z') }));
  const kept = state.getService('chaucer', 'deadbeef123');
  assert.equal(kept?.status, ServiceStatus.DRAINING);
  assert.equal(kept?.image, 'v2', 'other fields are updated');
  state.addServiceEntry(makeService({ status: ServiceStatus.UNHEALTHY, updated: ts('2023-11-14T10:21:36Z') }));
  assert.equal(state.getService('chaucer', 'deadbeef123')?.status, ServiceStatus.UNHEALTHY);
});

test('records of other hosts are relayed once when accepted; own records never (19)', () => {
  const { state } = makeState();
  const { relayed } = record(state);
  state.addServiceEntry(makeService({ hostname: 'shakespeare' }));
  state.addServiceEntry(makeService({ hostname: 'shakespeare' }));
  state.addServiceEntry(makeService());
  assert.equal(relayed.length, 1);
  state.addServiceEntry(makeService({ hostname: 'shakespeare', updated: ts('2023-11-14T10:21:35Z') }));
  assert.equal(relayed.length, 2);
});

test('stale records are dropped and delete the stored copy (13)', () => {
  const { state, clock } = makeState('2023-11-14T10:21:40Z');
  state.addServiceEntry(makeService());
  clock.advance((3 * 3600 + 61) * 1000);
  state.addServiceEntry(makeService({ updated: ts('2023-11-14T10:21:35Z') }));
  assert.equal(state.hasServer('chaucer'), false);
});

test('records not refreshed for 80 s become tombstones with Updated + 1 s (21)', () => {
  const { state, clock } = makeState('2023-11-14T10:21:35Z');
  const { events } = record(state);
  for (const [id, status] of [['a', ServiceStatus.ALIVE], ['u', ServiceStatus.UNHEALTHY], ['k', ServiceStatus.UNKNOWN]] as const) {
    state.addServiceEntry(makeService({ id, status }));
  }
  clock.advance(79_000);
  assert.deepEqual(state.tombstoneExpired(), []);
  clock.advance(2_000);
  const tombs = state.tombstoneExpired();
  assert.equal(tombs.length, 3);
  for (const t of tombs) {
    assert.equal(t.status, ServiceStatus.TOMBSTONE);
    assert.equal(t.updated, ts('2023-11-14T10:21:35.5Z'));
  }
  assert.equal(events.filter((e) => e.service.status === ServiceStatus.TOMBSTONE).length, 3);
});

test('DRAINING survives 80 s and expires after 10 min (22)', () => {
  const { state, clock } = makeState('2023-11-14T10:21:35Z');
  state.addServiceEntry(makeService({ status: ServiceStatus.DRAINING }));
  clock.advance(120_000);
  assert.deepEqual(state.tombstoneExpired(), []);
  clock.advance(600_000);
  assert.equal(state.tombstoneExpired()[0]?.status, ServiceStatus.TOMBSTONE);
});

test('tombstones are never re-tombstoned and are deleted after 3 h with their empty server (23, 24)', () => {
  const { state, clock } = makeState('2023-11-14T10:21:35Z');
  state.addServiceEntry(makeService({ status: ServiceStatus.TOMBSTONE }));
  clock.advance(100_000);
  assert.deepEqual(state.tombstoneExpired(), []);
  assert.equal(state.getService('chaucer', 'deadbeef123')?.updated, ts('2023-11-14T10:21:34.5Z'));
  clock.advance(3 * 3600 * 1000);
  state.tombstoneExpired();
  assert.equal(state.hasServer('chaucer'), false);
});

test('own services missing from discovery are tombstoned now, two copies each (25, 26)', () => {
  const { state } = makeState('2023-11-14T10:21:35Z');
  state.addServiceEntry(makeService({ id: 'keep' }));
  state.addServiceEntry(makeService({ id: 'gone' }));
  state.addServiceEntry(makeService({ id: 'remote', hostname: 'shakespeare' }));
  const batch = state.tombstoneVanished(new Set(['keep']));
  assert.deepEqual(
    batch.map((s) => [s.id, s.status]),
    [
      ['gone', ServiceStatus.TOMBSTONE],
      ['gone', ServiceStatus.TOMBSTONE],
    ],
  );
  assert.equal(batch[0]?.updated, ts('2023-11-14T10:21:35Z'));
  assert.equal(state.getService('shakespeare', 'remote')?.status, ServiceStatus.ALIVE);
  assert.deepEqual(state.tombstoneVanished(new Set(['keep'])), [], 'not tombstoned twice');
});

test('expireServer tombstones live records of a departed host, nothing for empty hosts (29)', () => {
  const { state } = makeState('2023-11-14T10:21:35Z');
  const { events } = record(state);
  assert.deepEqual(state.expireServer('nobody'), []);
  state.addServiceEntry(makeService({ id: 'x', hostname: 'shakespeare' }));
  state.addServiceEntry(makeService({ id: 'y', hostname: 'shakespeare' }));
  const tombs = state.expireServer('shakespeare');
  assert.equal(tombs.length, 2);
  assert.ok(tombs.every((t) => t.status === ServiceStatus.TOMBSTONE && t.updated === ts('2023-11-14T10:21:35Z') + BigInt(tombs.indexOf(t))));
  assert.equal(events.length, 4);
  assert.deepEqual(state.expireServer('shakespeare'), [], 'only tombstones left');
});

test('byService groups all statuses by name, oldest Updated first', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService({ id: 'n', updated: ts('2023-11-14T10:21:36Z') }));
  state.addServiceEntry(makeService({ id: 'o', updated: ts('2023-11-14T10:21:30Z'), status: ServiceStatus.TOMBSTONE }));
  state.addServiceEntry(makeService({ id: 'z', name: 'another' }));
  const groups = state.byService();
  assert.deepEqual([...groups.keys()], ['another', 'bocaccio']);
  assert.deepEqual(groups.get('bocaccio')?.map((s) => s.id), ['o', 'n']);
});

test('a fresh state starts at the epoch', () => {
  assert.equal(makeState().state.lastChanged, EPOCH);
});
