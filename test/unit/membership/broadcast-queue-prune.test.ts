import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastQueue } from '../../../src/membership/engine/broadcast-queue.js';
import { seededRandom } from './seeded-random.js';

/**
 * The bounded queue keeps and drops, after every queue, exactly what a model that sorts
 * everything each time (memberlist's prune) does, though it no longer sorts on each queue
 * (the speed is measured by bench/catalog-scale.ts).
 */
test('pruning past the bound keeps exactly what a full sort would, through replacements and sends', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = seededRandom(seed);
    const bound = 5 + rnd.int(20);
    const q = new BroadcastQueue({ numNodes: () => 3, retransmitMult: 2, maxQueued: () => bound });
    // The model: live entries with their id, name, length and transmits.
    type M = { id: number; name: string | undefined; len: number; transmits: number; text: string };
    let model: M[] = [];
    let id = 0;
    const finished: string[] = [];
    const expectedFinished: string[] = [];
    const cmp = (a: M, b: M): number => a.transmits - b.transmits || b.len - a.len || b.id - a.id;
    for (let step = 0; step < 400; step++) {
      if (rnd.int(10) === 0) {
        const limitBytes = 1 + rnd.int(40);
        const out = q.getBroadcasts(0, limitBytes).map((m) => Buffer.from(m).toString());
        // The model of getBroadcasts: least transmitted first, whatever fits; the transmit
        // limit is retransmitLimit(2, 3) = 2 × ceil(log10(3 + 1)) = 2.
        const expected: string[] = [];
        let used = 0;
        for (const e of [...model].sort(cmp)) {
          if (limitBytes - used <= 0) break;
          if (e.len > limitBytes - used) continue;
          used += e.len;
          expected.push(e.text);
          e.transmits++;
          if (e.transmits >= 2) {
            model = model.filter((x) => x !== e);
            expectedFinished.push(e.text);
          }
        }
        assert.deepEqual(out, expected, `seed ${seed} step ${step}`);
        assert.deepEqual(finished, expectedFinished, `seed ${seed} step ${step}`);
        continue;
      }
      const name = rnd.int(3) === 0 ? `k${rnd.int(8)}` : undefined;
      const len = 1 + rnd.int(6);
      const text = `${++id}`.padEnd(len, '.');
      if (name !== undefined) {
        const old = model.find((e) => e.name === name);
        if (old !== undefined) {
          model = model.filter((x) => x !== old);
          expectedFinished.push(old.text);
        }
      }
      model.push({ id, name, len: text.length, transmits: 0, text });
      while (model.length > bound) {
        const worst = [...model].sort(cmp).pop();
        if (worst === undefined) break;
        model = model.filter((x) => x !== worst);
        expectedFinished.push(worst.text);
      }
      q.queue({ message: Buffer.from(text), ...(name === undefined ? {} : { name }), finished: () => finished.push(text) });
      assert.equal(q.size, model.length, `seed ${seed} step ${step}`);
      assert.deepEqual(finished, expectedFinished, `seed ${seed} step ${step}`);
    }
  }
});
