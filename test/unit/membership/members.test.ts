import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { type Alive, type Member } from '../../../src/membership/index.js';
import { Awareness } from '../../../src/membership/engine/awareness.js';
import { MemberTable, type MemberBroadcast } from '../../../src/membership/engine/members.js';
import { NodeStateType } from '../../../src/membership/wire/messages.js';

const VSN = Uint8Array.of(1, 5, 2, 0, 0, 0);
const ip = (last: number): Uint8Array => Uint8Array.of(10, 0, 0, last);
const meta = (s: string): Uint8Array => new TextEncoder().encode(s);

function alive(node: string, incarnation: number, last: number, m = ''): Alive {
  return { type: 'alive', incarnation, node, addr: ip(last), port: 7946, meta: meta(m), vsn: VSN };
}

interface Fixture {
  clock: FakeClock;
  awareness: Awareness;
  table: MemberTable;
  joins: string[];
  updates: string[];
  leaves: Member[];
}

function fixture(peers = 5, suspicionMult = 4): Fixture {
  const clock = new FakeClock(0);
  const awareness = new Awareness(8, 500);
  const table = new MemberTable({ localName: 'me', clock, awareness, suspicionMult, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000 });
  const f: Fixture = { clock, awareness, table, joins: [], updates: [], leaves: [] };
  table.onDidJoin((m) => f.joins.push(m.name));
  table.onDidUpdate((m) => f.updates.push(m.name));
  table.onDidLeave((m) => f.leaves.push(m));
  table.setLocalAlive(ip(1), 7946, meta('me'), VSN);
  for (let i = 0; i < peers; i++) table.aliveNode(alive(`p${i}`, 1, 10 + i));
  return f;
}

const types = (b: MemberBroadcast[]): string[] => b.map((x) => `${x.message.type}:${x.name}:${x.message.incarnation}`);

test('we join ourselves at incarnation 1 and gossip it', () => {
  const clock = new FakeClock(0);
  const table = new MemberTable({ localName: 'me', clock, awareness: new Awareness(8, 500), suspicionMult: 4, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000 });
  assert.deepEqual(types(table.setLocalAlive(ip(1), 7946, meta('m'), VSN)), ['alive:me:1']);
  assert.equal(table.get('me')?.state, 'alive');
  assert.equal(table.localIncarnation, 1);
});

test('alive: first sight joins, stale is ignored, newer updates (meta change reported)', () => {
  const f = fixture(0);
  assert.deepEqual(types(f.table.aliveNode(alive('a', 3, 9))), ['alive:a:3']);
  assert.deepEqual(f.joins, ['me', 'a']);
  assert.deepEqual(f.table.aliveNode(alive('a', 3, 9, 'x')), []);
  assert.deepEqual(f.table.aliveNode(alive('a', 2, 9, 'x')), []);
  assert.deepEqual(f.updates, []);
  assert.deepEqual(types(f.table.aliveNode(alive('a', 4, 9, 'x'))), ['alive:a:4']);
  assert.deepEqual(f.updates, ['a']);
  assert.deepEqual(f.table.get('a')?.meta, meta('x'));
  assert.deepEqual(types(f.table.aliveNode(alive('a', 5, 9, 'x'))), ['alive:a:5']);
  assert.deepEqual(f.updates, ['a']); // same meta: gossiped, not an update
});

test('alive with broken protocol versions is ignored', () => {
  const f = fixture(0);
  assert.deepEqual(f.table.aliveNode({ ...alive('a', 1, 9), vsn: Uint8Array.of(0, 5, 2, 0, 0, 0) }), []);
  assert.deepEqual(f.table.aliveNode({ ...alive('a', 1, 9), vsn: Uint8Array.of(5, 2, 2, 0, 0, 0) }), []);
  assert.equal(f.table.get('a'), undefined);
});

test('an alive about ourselves that is not our own is refuted with a higher incarnation', () => {
  const f = fixture(0);
  assert.deepEqual(f.table.aliveNode({ ...alive('me', 1, 1, 'me') }), []); // our own echo
  assert.equal(f.awareness.healthScore, 0);
  const out = f.table.aliveNode(alive('me', 7, 99, 'stale'));
  assert.deepEqual(out, []); // different address: a conflict, not ours to refute
  const refuted = f.table.aliveNode({ ...alive('me', 7, 1, 'stale') });
  assert.deepEqual(types(refuted), ['alive:me:8']);
  assert.deepEqual((refuted[0]?.message as Alive).meta, meta('me'));
  assert.equal(f.table.localIncarnation, 8);
  assert.equal(f.awareness.healthScore, 1);
});

test('suspect: unknown and stale ignored; a live peer becomes suspect and dies after max timeout', () => {
  const f = fixture(5); // 6 nodes, mult 4: k = 2, min = 4 × max(1, log10 6) × 1 s = 4 s, max 24 s
  const timeouts: number[] = [];
  f.table.onDidTimeoutSuspicion((t) => timeouts.push(t.confirmations));
  assert.deepEqual(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'ghost', from: 'p1' }), []);
  assert.deepEqual(f.table.suspectNode({ type: 'suspect', incarnation: 0, node: 'p0', from: 'p1' }), []);
  assert.deepEqual(types(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p1' })), ['suspect:p0:1']);
  assert.equal(f.table.get('p0')?.state, 'suspect');
  f.clock.advance(23_999);
  assert.equal(f.table.get('p0')?.state, 'suspect');
  f.clock.advance(1);
  assert.equal(f.table.get('p0')?.state, 'dead');
  assert.deepEqual(timeouts, [0]);
  assert.deepEqual(f.leaves.map((m) => m.name), ['p0']);
  assert.equal(f.clock.pendingTimers, 0);
});

test('independent confirmations are re-gossiped once each and shorten the timeout to min', () => {
  const f = fixture(5);
  const dead: MemberBroadcast[][] = [];
  f.table.onDidTimeoutSuspicion((t) => dead.push([...t.broadcasts]));
  f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p1' });
  assert.equal(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p1' }).length, 0);
  assert.equal(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p2' }).length, 1);
  assert.equal(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p2' }).length, 0);
  assert.equal(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p3' }).length, 1);
  assert.equal(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p4' }).length, 0); // k reached
  f.clock.advance(3999);
  assert.equal(f.table.get('p0')?.state, 'suspect');
  f.clock.advance(1);
  assert.equal(f.table.get('p0')?.state, 'dead');
  assert.equal(dead.length, 1);
  assert.deepEqual(dead[0]?.map((b) => b.message), [{ type: 'dead', incarnation: 1, node: 'p0', from: 'me' }]);
});

test('in a cluster too small for k confirmations the suspicion lasts min', () => {
  const f = fixture(2); // 3 nodes: n − 2 = 1 < k = 2, so k = 0
  f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p1' });
  f.clock.advance(3999);
  assert.equal(f.table.get('p0')?.state, 'suspect');
  f.clock.advance(1);
  assert.equal(f.table.get('p0')?.state, 'dead');
});

test('a newer alive clears the suspicion; the old timer does nothing', () => {
  const f = fixture(5);
  f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p0', from: 'p1' });
  assert.deepEqual(types(f.table.aliveNode(alive('p0', 2, 10))), ['alive:p0:2']);
  assert.equal(f.table.get('p0')?.state, 'alive');
  assert.deepEqual(f.table.suspectedNames, []);
  assert.equal(f.clock.pendingTimers, 0);
  f.clock.advance(60_000);
  assert.equal(f.table.get('p0')?.state, 'alive');
  assert.deepEqual(f.joins.filter((n) => n === 'p0'), ['p0']); // suspect → alive is not a join
});

test('suspect or dead about ourselves is refuted, skipping past the accused incarnation', () => {
  const f = fixture(2);
  assert.deepEqual(types(f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'me', from: 'p0' })), ['alive:me:2']);
  assert.equal(f.table.get('me')?.state, 'alive');
  assert.deepEqual(types(f.table.deadNode({ type: 'dead', incarnation: 9, node: 'me', from: 'p0' })), ['alive:me:10']);
  assert.equal(f.table.get('me')?.state, 'alive');
  assert.equal(f.awareness.healthScore, 2);
  assert.equal(f.table.refutations, 2, 'counted for /metrics');
  assert.deepEqual(f.leaves, []);
});

test('dead: declared by another is dead, by the node itself is left; repeats and stale are ignored', () => {
  const f = fixture(3);
  assert.deepEqual(f.table.deadNode({ type: 'dead', incarnation: 0, node: 'p0', from: 'p1' }), []);
  assert.deepEqual(types(f.table.deadNode({ type: 'dead', incarnation: 1, node: 'p0', from: 'p1' })), ['dead:p0:1']);
  assert.deepEqual(f.table.deadNode({ type: 'dead', incarnation: 1, node: 'p0', from: 'p2' }), []);
  assert.deepEqual(types(f.table.deadNode({ type: 'dead', incarnation: 1, node: 'p1', from: 'p1' })), ['dead:p1:1']);
  assert.equal(f.table.get('p0')?.state, 'dead');
  assert.equal(f.table.get('p1')?.state, 'left');
  assert.deepEqual(f.leaves.map((m) => `${m.name}:${m.state}`), ['p0:dead', 'p1:left']);
  // a dead node needs a newer incarnation to come back
  assert.deepEqual(f.table.aliveNode(alive('p0', 1, 10)), []);
  f.table.aliveNode(alive('p0', 2, 10));
  assert.equal(f.table.get('p0')?.state, 'alive');
  assert.equal(f.joins.filter((n) => n === 'p0').length, 2);
});

test('leave gossips our own death and stops refuting', () => {
  const f = fixture(2);
  assert.deepEqual(f.table.leave().map((b) => b.message), [{ type: 'dead', incarnation: 1, node: 'me', from: 'me' }]);
  assert.equal(f.table.get('me')?.state, 'left');
  assert.deepEqual(f.table.deadNode({ type: 'dead', incarnation: 5, node: 'me', from: 'p0' }), []);
  assert.deepEqual(f.table.aliveNode(alive('me', 5, 1)), []);
  assert.equal(f.table.localIncarnation, 1);
});

test('a live name claimed from another address is a conflict; a left one can be reclaimed', () => {
  const f = fixture(2);
  const conflicts: string[] = [];
  f.table.onDidConflict((c) => conflicts.push(c.existing.name));
  assert.deepEqual(f.table.aliveNode(alive('p0', 5, 77)), []);
  assert.deepEqual(conflicts, ['p0']);
  assert.deepEqual(f.table.get('p0')?.addr, ip(10));
  f.table.deadNode({ type: 'dead', incarnation: 1, node: 'p0', from: 'p0' });
  assert.deepEqual(types(f.table.aliveNode(alive('p0', 1, 77))), ['alive:p0:1']); // left: reclaim even at the same incarnation
  assert.deepEqual(f.table.get('p0')?.addr, ip(77));
});

test('push/pull merge: alive joins, left leaves, a remote dead only makes us suspect', () => {
  const f = fixture(2);
  const rec = (name: string, state: number, incarnation: number, last: number) => ({ name, addr: ip(last), port: 7946, meta: meta(''), incarnation, state, vsn: VSN });
  const out = f.table.mergeRemoteState([
    rec('new', NodeStateType.alive, 1, 50),
    rec('p0', NodeStateType.left, 1, 10),
    rec('p1', NodeStateType.dead, 1, 11),
  ]);
  assert.deepEqual(types(out), ['alive:new:1', 'dead:p0:1', 'suspect:p1:1']);
  assert.equal(f.table.get('new')?.state, 'alive');
  assert.equal(f.table.get('p0')?.state, 'left');
  assert.equal(f.table.get('p1')?.state, 'suspect');
  const local = f.table.localState().find((r) => r.name === 'p1');
  assert.equal(local?.state, NodeStateType.suspect);
});

test('dead and left nodes are reaped after the gossip-to-the-dead time; dispose clears timers', () => {
  const f = fixture(3);
  f.table.deadNode({ type: 'dead', incarnation: 1, node: 'p0', from: 'p1' });
  f.clock.advance(29_999);
  assert.deepEqual(f.table.reapDead(30_000), []);
  f.table.suspectNode({ type: 'suspect', incarnation: 1, node: 'p2', from: 'p1' });
  f.clock.advance(1);
  assert.deepEqual(f.table.reapDead(30_000), ['p0']);
  assert.equal(f.table.get('p0'), undefined);
  assert.equal(f.table.liveMembers().length, 3); // me, p1, p2 (suspect counts as live)
  f.table.dispose();
  assert.equal(f.clock.pendingTimers, 0);
});
