import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceStatus, lifespans, parseService, type Service } from '../../../src/catalog/index.js';
import { BroadcastScheduler, MAX_RECORDS_PER_TURN } from '../../../src/replication/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';

const SECOND_NS = 1_000_000_000n;

/** One record as the scheduler handed it to gossip. */
interface Sent {
  /** ms since the test started. */
  readonly atMs: number;
  readonly key: string;
  readonly status: number;
  /** The record's own `Updated` (without the repeat's bump). */
  readonly updated: bigint;
  /** The repeat's bump, read back from the JSON gossip carries. */
  readonly bumpNs: bigint;
}

function setup() {
  const { clock } = makeState();
  const startMs = clock.nowMs();
  const scheduler = new BroadcastScheduler(clock);
  const sent: Sent[] = [];
  scheduler.onDidSend((batch) => {
    for (const r of batch) {
      sent.push({ atMs: clock.nowMs() - startMs, key: r.key, status: r.service.status, updated: r.service.updated, bumpNs: parseService(r.json).updated - r.service.updated });
    }
  });
  /** What a peer would read from gossip's queue, which holds the last message handed over per key. */
  const lastOf = (key: string): Sent | undefined => sent.filter((s) => s.key === key).at(-1);
  return { clock, scheduler, sent, lastOf };
}

const web = makeService({ id: 'pod-web-1', status: ServiceStatus.ALIVE });
const notReady: Service = { ...web, status: ServiceStatus.UNHEALTHY, updated: web.updated + SECOND_NS / 2n };

test('a record replaced mid-repeats is not sent again; the newer one is sent its full count', () => {
  const { clock, scheduler, sent, lastOf } = setup();
  scheduler.send([web], lifespans.ALIVE_COUNT, true); // t = 0, repeats due at 1, 2, 3, 4 s
  clock.advance(500);
  scheduler.send([notReady], lifespans.ALIVE_COUNT, true); // t = 0.5 s, repeats due at 1.5 … 4.5 s
  for (let ms = 500; ms < 6000; ms += 100) {
    clock.advance(100);
    // The bug: at 1 s the older record's repeat took the newer one's place in gossip's queue.
    assert.equal(lastOf('chaucer/pod-web-1')?.status, ServiceStatus.UNHEALTHY, `at ${ms + 100} ms the queue holds the newer record`);
  }
  assert.deepEqual(
    sent.map((s) => [s.atMs, s.status, s.bumpNs]),
    [
      [0, ServiceStatus.ALIVE, 0n],
      [500, ServiceStatus.UNHEALTHY, 0n],
      [1500, ServiceStatus.UNHEALTHY, 50n],
      [2500, ServiceStatus.UNHEALTHY, 100n],
      [3500, ServiceStatus.UNHEALTHY, 150n],
      [4500, ServiceStatus.UNHEALTHY, 200n],
    ],
  );
  assert.equal(scheduler.pending, 0, 'the older batch stopped once nothing of it was left to send');
  assert.equal(scheduler.trackedKeys, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('only the replaced record of a batch stops; other keys (another ID, the same ID on another host) keep their repeats', () => {
  const { clock, scheduler, sent } = setup();
  const other = makeService({ id: 'pod-raw-1' });
  const elsewhere = makeService({ hostname: 'shakespeare', id: 'pod-web-1' });
  scheduler.send([web, other, elsewhere], lifespans.ALIVE_COUNT);
  clock.advance(2000); // two sends of the batch
  scheduler.send([notReady], lifespans.ALIVE_COUNT);
  assert.equal(scheduler.pending, 2);
  clock.advance(10_000);
  const count = (key: string, status: number): number => sent.filter((s) => s.key === key && s.status === status).length;
  assert.equal(count('chaucer/pod-web-1', ServiceStatus.ALIVE), 2, 'not repeated once replaced');
  assert.equal(count('chaucer/pod-web-1', ServiceStatus.UNHEALTHY), lifespans.ALIVE_COUNT);
  assert.equal(count('chaucer/pod-raw-1', ServiceStatus.ALIVE), lifespans.ALIVE_COUNT);
  assert.equal(count('shakespeare/pod-web-1', ServiceStatus.ALIVE), lifespans.ALIVE_COUNT);
  assert.deepEqual(
    sent.filter((s) => s.key === 'chaucer/pod-raw-1').map((s) => s.bumpNs),
    [0n, 50n, 100n, 150n, 200n],
    'their bumps count on as before',
  );
  assert.equal(scheduler.trackedKeys, 0);
});

test('a record older than the one being repeated for its key is not sent at all (out of order)', () => {
  const { clock, scheduler, sent, lastOf } = setup();
  scheduler.send([notReady], lifespans.ALIVE_COUNT, true);
  scheduler.send([web, makeService({ id: 'pod-raw-1' })], lifespans.ALIVE_COUNT, true);
  clock.advance(1500);
  scheduler.send([web], 1, true);
  clock.advance(10_000);
  assert.ok(sent.every((s) => s.key !== 'chaucer/pod-web-1' || s.status === ServiceStatus.UNHEALTHY), 'the older record never went to gossip');
  assert.equal(sent.filter((s) => s.key === 'chaucer/pod-web-1').length, lifespans.ALIVE_COUNT);
  assert.equal(sent.filter((s) => s.key === 'chaucer/pod-raw-1').length, lifespans.ALIVE_COUNT, 'the rest of its batch went as usual');
  assert.equal(lastOf('chaucer/pod-web-1')?.status, ServiceStatus.UNHEALTHY);
  assert.equal(scheduler.trackedKeys, 0);

  // The bound: once the newer record's repeats are over its key is forgotten, and a late older
  // record goes out (peers holding the newer one ignore it; the merge rules decide there).
  scheduler.send([web], 1, true);
  assert.equal(lastOf('chaucer/pod-web-1')?.status, ServiceStatus.ALIVE);
});

test('equal Updated: a record handed over again restarts its count; twice in one batch it goes twice per send', () => {
  const { clock, scheduler, sent } = setup();
  scheduler.send([web], lifespans.ALIVE_COUNT);
  clock.advance(2000);
  scheduler.send([web], lifespans.ALIVE_COUNT, true);
  clock.advance(10_000);
  assert.deepEqual(
    sent.map((s) => [s.atMs, s.bumpNs]),
    [
      [1000, 0n],
      [2000, 50n],
      [2000, 0n],
      [3000, 50n],
      [4000, 100n],
      [5000, 150n],
      [6000, 200n],
    ],
  );

  // A tombstone's 2 copies per batch (the Go Sidecar's) are both sent, and both replaced by a newer record.
  sent.length = 0;
  const tomb: Service = { ...web, status: ServiceStatus.TOMBSTONE, updated: web.updated + 10n * SECOND_NS };
  scheduler.send([tomb, tomb], lifespans.TOMBSTONE_COUNT);
  clock.advance(3000);
  assert.equal(sent.length, 6);
  scheduler.send([{ ...web, updated: tomb.updated + SECOND_NS }], 1, true);
  clock.advance(20_000);
  assert.equal(sent.length, 7);
  assert.equal(sent.at(-1)?.status, ServiceStatus.ALIVE);
  assert.equal(scheduler.trackedKeys, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('keys are tracked only while a batch holding their newest record is pending, also with churn', () => {
  const { clock, scheduler } = setup();
  const services = Array.from({ length: 200 }, (_, i) => makeService({ id: `s${i}` }));
  scheduler.send(services, 2);
  for (let round = 1; round <= 20; round++) {
    // A tenth of the services change every 300 ms: each change replaces a record still being repeated.
    const changed = services.filter((_, i) => i % 10 === round % 10).map((s) => ({ ...s, updated: s.updated + BigInt(round) * SECOND_NS }));
    scheduler.send(changed, lifespans.ALIVE_COUNT, true);
    clock.advance(300);
    assert.ok(scheduler.trackedKeys <= services.length, 'never more than one entry per key');
  }
  assert.ok(scheduler.trackedKeys > 0);
  clock.advance(lifespans.ALIVE_COUNT * lifespans.RETRANSMIT_INTERVAL_MS);
  assert.equal(scheduler.pending, 0);
  assert.equal(scheduler.trackedKeys, 0);
  assert.equal(clock.pendingTimers, 0);

  // close() forgets everything still pending.
  scheduler.send(services, 3);
  assert.equal(scheduler.trackedKeys, services.length);
  scheduler.close();
  assert.equal(scheduler.trackedKeys, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('a sliced batch keeps its keys until the last slice of its last send, and a record replaced between slices is left out', () => {
  const { clock, scheduler, sent } = setup();
  const services = Array.from({ length: MAX_RECORDS_PER_TURN * 2 + 7 }, (_, i) => makeService({ id: `s${i}` }));
  const trackedAtSlice: number[] = [];
  let replaced = false;
  scheduler.onDidBroadcast(() => {
    trackedAtSlice.push(scheduler.trackedKeys);
    if (replaced) return;
    replaced = true;
    // After the first slice, the last record of the batch changes.
    const last = services.at(-1) ?? makeService();
    scheduler.send([{ ...last, status: ServiceStatus.UNHEALTHY, updated: last.updated + SECOND_NS }], 1, true);
  });
  scheduler.send(services, 1);
  clock.advance(1000);
  // Slices 1, 2, 3 of the batch, with the one-send batch of the newer record after slice 1 (its
  // key is forgotten once that send is over: nothing of it is pending any more).
  assert.deepEqual(trackedAtSlice, [services.length, services.length, services.length - 1, services.length - 1]);
  const last = sent.filter((s) => s.key === 'chaucer/' + (services.at(-1)?.id ?? ''));
  assert.deepEqual(last.map((s) => s.status), [ServiceStatus.UNHEALTHY], 'the replaced record was left out of its slice');
  assert.equal(sent.length, services.length);
  assert.equal(scheduler.trackedKeys, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('supersede(): a newer record gossiped another way ends the repeats of its key; an older or equal one does not', () => {
  const { clock, scheduler, sent } = setup();
  scheduler.send([web], lifespans.ALIVE_COUNT, true);
  scheduler.supersede({ ...web, updated: web.updated - 1n });
  scheduler.supersede(web);
  clock.advance(1000);
  assert.equal(sent.length, 2);
  scheduler.supersede(notReady);
  clock.advance(10_000);
  assert.equal(sent.length, 2, 'no repeat after the newer record');
  assert.equal(scheduler.pending, 0);
  assert.equal(scheduler.trackedKeys, 0);
});
