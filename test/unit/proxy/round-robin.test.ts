import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRobin, type Endpoint } from '../../../src/proxy/index.js';

function ep(key: string): Endpoint {
  return { key, hostname: key, serviceId: key, ip: '10.0.0.1', port: 1, since: 0n };
}

function eps(...keys: string[]): Endpoint[] {
  return keys.map(ep);
}

function picks(rr: RoundRobin, n: number, skip?: (e: Endpoint) => boolean): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (let i = 0; i < n; i++) out.push(rr.next(skip)?.key);
  return out;
}

test('strict rotation in list order', () => {
  const rr = new RoundRobin(eps('a', 'b', 'c'));
  assert.deepEqual(picks(rr, 7), ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
});

test('empty list: undefined, then endpoints once updated', () => {
  const rr = new RoundRobin();
  assert.equal(rr.next(), undefined);
  assert.equal(rr.size, 0);
  rr.update(eps('a', 'b'));
  assert.deepEqual(picks(rr, 3), ['a', 'b', 'a']);
  rr.update([]);
  assert.equal(rr.next(), undefined);
});

test('startIndex offsets the rotation, modulo the length', () => {
  assert.deepEqual(picks(new RoundRobin(eps('a', 'b', 'c'), 2), 4), ['c', 'a', 'b', 'c']);
  assert.deepEqual(picks(new RoundRobin(eps('a', 'b', 'c'), 7), 2), ['b', 'c']);
  assert.deepEqual(picks(new RoundRobin(eps('a', 'b', 'c'), -1), 2), ['c', 'a']);
});

test('skip passes over endpoints without taking their turn away for good', () => {
  const rr = new RoundRobin(eps('a', 'b', 'c', 'd'));
  const down = new Set(['b']);
  const skip = (e: Endpoint): boolean => down.has(e.key);
  assert.deepEqual(picks(rr, 5, skip), ['a', 'c', 'd', 'a', 'c']);
  down.clear();
  assert.deepEqual(picks(rr, 4, skip), ['d', 'a', 'b', 'c']);
});

test('every endpoint skipped: undefined, and the position does not move', () => {
  const rr = new RoundRobin(eps('a', 'b', 'c'));
  assert.equal(rr.next()?.key, 'a');
  assert.equal(
    rr.next(() => true),
    undefined,
  );
  assert.equal(rr.next()?.key, 'b');
});

test('update with the same endpoints keeps the rotation going (no double pick)', () => {
  const rr = new RoundRobin(eps('a', 'b', 'c'));
  const seen = picks(rr, 2); // a, b
  rr.update(eps('a', 'b', 'c'));
  seen.push(...picks(rr, 4));
  assert.deepEqual(seen, ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('update adding endpoints: the last pick is not picked again right away', () => {
  const rr = new RoundRobin(eps('b', 'd'));
  assert.deepEqual(picks(rr, 1), ['b']);
  rr.update(eps('a', 'b', 'c', 'd'));
  assert.deepEqual(picks(rr, 5), ['c', 'd', 'a', 'b', 'c']);
});

test('update removing the last pick: its successor goes next', () => {
  const rr = new RoundRobin(eps('a', 'b', 'c', 'd'));
  assert.deepEqual(picks(rr, 2), ['a', 'b']);
  rr.update(eps('a', 'c', 'd'));
  assert.deepEqual(picks(rr, 3), ['c', 'd', 'a']);
  // Removing the last pick when it was the greatest key wraps to the start.
  rr.update(eps('b', 'c')); // last pick was `a`, still sorts before both
  assert.deepEqual(picks(rr, 2), ['b', 'c']);
  rr.update(eps('a', 'b')); // last pick `c` is gone and was the greatest
  assert.deepEqual(picks(rr, 1), ['a']);
});

test('fair across many updates: each staying endpoint gets its share', () => {
  const rr = new RoundRobin(eps('a', 'b', 'c'));
  const counts = new Map<string, number>();
  let previous: string | undefined;
  for (let i = 0; i < 300; i++) {
    if (i % 2 === 0) rr.update(eps('a', 'b', 'c')); // a catalog change on every other pick
    const key = rr.next()?.key;
    assert.ok(key);
    assert.notEqual(key, previous, `two picks in a row for ${key} at ${i}`);
    previous = key;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.deepEqual([...counts.entries()].sort(), [
    ['a', 100],
    ['b', 100],
    ['c', 100],
  ]);
});

test('a single endpoint is always returned; endpoints getter reflects the update', () => {
  const rr = new RoundRobin(eps('only'));
  assert.deepEqual(picks(rr, 3), ['only', 'only', 'only']);
  const next = eps('x', 'y');
  rr.update(next);
  assert.equal(rr.endpoints, next);
  assert.equal(rr.size, 2);
});
