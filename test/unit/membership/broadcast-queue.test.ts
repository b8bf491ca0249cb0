import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastQueue, type Broadcast } from '../../../src/membership/engine/broadcast-queue.js';

const msg = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (list: Uint8Array[]): string[] => list.map((m) => new TextDecoder().decode(m));

function tracked(finished: string[], body: string, name?: string): Broadcast {
  return { message: msg(body), ...(name === undefined ? {} : { name }), finished: () => finished.push(body) };
}

test('each broadcast is sent retransmitLimit times, then finished once', () => {
  const finished: string[] = [];
  const q = new BroadcastQueue({ numNodes: () => 20, retransmitMult: 2 }); // 2 × ceil(log10 21) = 4
  q.queue(tracked(finished, 'hello'));
  for (let i = 0; i < 4; i++) assert.deepEqual(text(q.getBroadcasts(3, 1400)), ['hello']);
  assert.deepEqual(q.getBroadcasts(3, 1400), []);
  assert.equal(q.size, 0);
  assert.deepEqual(finished, ['hello']);
});

test('a newer broadcast with the same name replaces the older; unnamed ones never invalidate', () => {
  const finished: string[] = [];
  const q = new BroadcastQueue({ numNodes: () => 5, retransmitMult: 4 });
  q.queue(tracked(finished, 'alive n1 inc1', 'n1'));
  q.queue(tracked(finished, 'alive n2', 'n2'));
  q.queue(tracked(finished, 'dead n1 inc1', 'n1'));
  q.queue(tracked(finished, 'user a'));
  q.queue(tracked(finished, 'user a'));
  assert.equal(q.size, 4);
  assert.deepEqual(finished, ['alive n1 inc1']);
  const sent = text(q.getBroadcasts(0, 1400));
  assert.equal(sent.length, 4);
  assert.ok(sent.includes('dead n1 inc1'));
  assert.ok(!sent.includes('alive n1 inc1'));
});

test('less-transmitted messages go first', () => {
  const q = new BroadcastQueue({ numNodes: () => 100, retransmitMult: 4 });
  q.queue({ message: msg('old-news') });
  q.getBroadcasts(0, 1400); // old-news now sent once
  q.queue({ message: msg('new-news') });
  assert.deepEqual(text(q.getBroadcasts(0, 8)), ['new-news']);
  // both sent once, same length: the newer goes first; then old-news is the less transmitted
  assert.deepEqual(text(q.getBroadcasts(0, 8)), ['new-news']);
  assert.deepEqual(text(q.getBroadcasts(0, 8)), ['old-news']);
});

test('packets are filled largest-first within a tier, counting the per-message overhead', () => {
  const q = new BroadcastQueue({ numNodes: () => 100, retransmitMult: 4 });
  q.queue({ message: msg('ccc') });
  q.queue({ message: msg('aaaaa') });
  q.queue({ message: msg('bbbb') });
  // limit 10, overhead 2: aaaaa (7 used), then 1 byte free: nothing else fits
  assert.deepEqual(text(q.getBroadcasts(2, 10)), ['aaaaa']);
  // tier 0 now holds bbbb, ccc; bbbb (6 used), 2 free: ccc does not fit; aaaaa (tier 1) neither
  assert.deepEqual(text(q.getBroadcasts(2, 10)), ['bbbb']);
  // ccc first (tier 0), then 5 used → 3 free: bbbb (tier 1, 4) no, aaaaa no
  assert.deepEqual(text(q.getBroadcasts(2, 10)), ['ccc']);
  // all at one transmit: everything fits in a big packet, largest first
  assert.deepEqual(text(q.getBroadcasts(2, 100)), ['aaaaa', 'bbbb', 'ccc']);
  // a packet too small for any message yields nothing and changes nothing
  assert.deepEqual(q.getBroadcasts(2, 4), []);
  assert.equal(q.size, 3);
});

test('equal tiers and lengths: newest first', () => {
  const q = new BroadcastQueue({ numNodes: () => 100, retransmitMult: 4 });
  q.queue({ message: msg('one') });
  q.queue({ message: msg('two') });
  q.queue({ message: msg('thr') });
  assert.deepEqual(text(q.getBroadcasts(0, 6)), ['thr', 'two']);
});

test('bounded: the most-transmitted, then smallest, then oldest are dropped first', () => {
  const finished: string[] = [];
  const q = new BroadcastQueue({ numNodes: () => 100, retransmitMult: 4, maxQueued: () => 3 });
  q.queue(tracked(finished, 'sent-twice'));
  q.getBroadcasts(0, 1400);
  q.getBroadcasts(0, 1400);
  q.queue(tracked(finished, 'old-1'));
  q.queue(tracked(finished, 'new-1'));
  q.queue(tracked(finished, 'newest'));
  assert.deepEqual(finished, ['sent-twice']);
  q.queue(tracked(finished, 'xx')); // all at 0 transmits: the smallest (xx itself) goes
  assert.deepEqual(finished, ['sent-twice', 'xx']);
  q.queue(tracked(finished, 'latest')); // equal length: the oldest goes
  assert.deepEqual(finished, ['sent-twice', 'xx', 'old-1']);
  assert.equal(q.size, 3);
});

test('the default bound is max(4096, 2 × nodes); prune and reset finish what they drop', () => {
  const finished: string[] = [];
  let nodes = 1;
  const q = new BroadcastQueue({ numNodes: () => nodes, retransmitMult: 4 });
  for (let i = 0; i < 4100; i++) q.queue(tracked(finished, `m${i}`));
  assert.equal(q.size, 4096);
  nodes = 3000;
  for (let i = 0; i < 10; i++) q.queue(tracked(finished, `n${i}`));
  assert.equal(q.size, 4106);
  q.prune(10);
  assert.equal(q.size, 10);
  q.reset();
  assert.equal(q.size, 0);
  assert.equal(finished.length, 4110);
});
