import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../src/membership/index.js';
import { TimerHeap, type HeapTimer } from '../../../src/core/timer-heap.js';

describe('TimerHeap', () => {
  it('pops in (time, scheduling order), skipping cancelled timers, like a sorted list', () => {
    const rng = seededRandom(7);
    const heap = new TimerHeap<HeapTimer & { id: number }>();
    const all: (HeapTimer & { id: number })[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = { at: Math.floor(rng() * 100), seq: i, cancelled: false, queued: false, id: i };
      all.push(t);
      heap.push(t);
      // Cancel about a third, some of them long after they were pushed (forces compaction).
      if (rng() < 0.33) heap.cancel(all[Math.floor(rng() * all.length)] as HeapTimer & { id: number });
    }
    const expected = all
      .filter((t) => !t.cancelled)
      .sort((a, b) => a.at - b.at || a.seq - b.seq)
      .map((t) => t.id);
    assert.equal(heap.size, expected.length);
    const got: number[] = [];
    for (let t = heap.pop(); t !== undefined; t = heap.pop()) got.push(t.id);
    assert.deepEqual(got, expected);
    assert.equal(heap.size, 0);
  });
});
