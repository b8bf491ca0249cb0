import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter, rethrowToProducer } from '../../../src/core/index.js';

test('a listener that throws breaks neither the producer nor the other listeners', () => {
  const errors: unknown[] = [];
  const emitter = new Emitter<number>((err, value) => errors.push([err, value]));
  const seen: string[] = [];
  emitter.event((v) => seen.push(`a${v}`));
  emitter.event(() => {
    throw new Error('bad subscriber');
  });
  emitter.event((v) => seen.push(`c${v}`));
  assert.doesNotThrow(() => emitter.fire(1));
  emitter.fire(2);
  assert.deepEqual(seen, ['a1', 'c1', 'a2', 'c2']);
  assert.equal(errors.length, 2);
  const [err, value] = errors[0] as [Error, number];
  assert.equal(err.message, 'bad subscriber');
  assert.equal(value, 1);
});

test('by default a listener exception is thrown again on a fresh stack, not swallowed', () => {
  const queued: Array<() => void> = [];
  const spy = mock.method(globalThis, 'queueMicrotask', (cb: () => void) => queued.push(cb));
  try {
    const emitter = new Emitter<void>();
    let after = false;
    emitter.event(() => {
      throw new Error('bad subscriber');
    });
    emitter.event(() => (after = true));
    emitter.fire();
    assert.equal(after, true);
    assert.equal(queued.length, 1);
    assert.throws(() => queued[0]!(), /bad subscriber/);
  } finally {
    spy.mock.restore();
  }
});

test('disposing a subscription stops its deliveries', () => {
  const emitter = new Emitter<number>();
  const seen: number[] = [];
  const sub = emitter.event((v) => seen.push(v));
  emitter.fire(1);
  sub.dispose();
  emitter.fire(2);
  assert.deepEqual(seen, [1]);
  assert.equal(emitter.hasListeners, false);
});

test('rethrowToProducer: every listener runs, then the exception reaches the code that fired', () => {
  const seen: string[] = [];
  const emitter = new Emitter<number>(rethrowToProducer);
  emitter.event(() => {
    throw new Error('first listener bug');
  });
  emitter.event((n) => seen.push(`second got ${n}`));
  assert.throws(() => emitter.fire(7), /first listener bug/);
  assert.deepEqual(seen, ['second got 7'], 'the listener after the bad one still ran');
});
