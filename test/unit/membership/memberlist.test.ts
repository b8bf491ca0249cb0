import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Keyring, goSidecarDialect, STOCK_MEMBERLIST } from '../../../src/membership/index.js';
import { MemoryCluster } from '../../helpers/memory-cluster.js';

describe('Memberlist on the in-memory network (Go Sidecar settings)', () => {
  it('nodes joining one seed all learn each other', async () => {
    const c = new MemoryCluster();
    try {
      const [a, b, d, e] = [await c.add('a'), await c.add('b'), await c.add('d'), await c.add('e')];
      for (const n of [b, d, e]) assert.equal(await c.join(n, a), true);
      await c.run(2000);
      for (const n of [a, b, d, e]) assert.deepEqual(c.liveNames(n), ['a', 'b', 'd', 'e'], `view of ${n.name}`);
    } finally {
      await c.close();
    }
  });

  it('a user broadcast reaches every other node (with Sidecar-style relay of new messages)', async () => {
    const c = new MemoryCluster();
    try {
      const nodes = [await c.add('a'), await c.add('b'), await c.add('d'), await c.add('e'), await c.add('f')];
      for (const n of nodes.slice(1)) await c.join(n, nodes[0]!);
      await c.run(2000);
      nodes[4]!.list.broadcast(new TextEncoder().encode('{"ID":"x"}'), 'f/x');
      await c.run(1000);
      for (const n of nodes.slice(0, 4)) assert.ok(n.delegate.messages.includes('{"ID":"x"}'), `${n.name} got it`);
    } finally {
      await c.close();
    }
  });

  it('push/pull on join carries the delegate state both ways', async () => {
    const c = new MemoryCluster();
    try {
      const a = await c.add('a');
      const b = await c.add('b');
      a.delegate.state = 'state-of-a';
      b.delegate.state = 'state-of-b';
      await c.join(b, a);
      assert.deepEqual(b.delegate.states, ['state-of-a']);
      assert.deepEqual(a.delegate.states, ['state-of-b']);
      // Counted by type for /metrics: b started the exchange, a answered it.
      assert.equal(b.list.stats().messagesSent['pushPull'], 1);
      assert.equal(b.list.stats().messagesReceived['pushPull'], 1);
      assert.equal(a.list.stats().messagesReceived['pushPull'], 1);
      assert.equal(a.list.stats().messagesSent['pushPull'], 1);
      await c.run(3000);
      for (const n of [a, b]) {
        const s = n.list.stats();
        assert.ok((s.messagesSent['ping'] ?? 0) >= 1 && (s.messagesReceived['ack'] ?? 0) >= 1, JSON.stringify(s));
        assert.ok((s.messagesReceived['ping'] ?? 0) >= 1 && (s.messagesSent['ack'] ?? 0) >= 1, JSON.stringify(s));
        assert.deepEqual(s.broadcastQueue, { members: s.broadcastQueue.members, users: 0 });
      }
    } finally {
      await c.close();
    }
  });

  it('a crashed node is declared dead by all others; a left node is gone at once', async () => {
    const c = new MemoryCluster();
    try {
      const nodes = [await c.add('a'), await c.add('b'), await c.add('d'), await c.add('e')];
      for (const n of nodes.slice(1)) await c.join(n, nodes[0]!);
      await c.run(2000);
      const left: string[] = [];
      nodes[0]!.list.onDidLeave((m) => left.push(`${m.name}:${m.state}`));
      await nodes[3]!.list.close(); // crash: no leave message
      await c.run(15_000);
      for (const n of nodes.slice(0, 3)) assert.deepEqual(c.liveNames(n), ['a', 'b', 'd'], `view of ${n.name}`);
      assert.deepEqual(left, ['e:dead']);
      const leaving = nodes[2]!.list.leave();
      await c.run(500);
      await leaving;
      await c.run(500);
      for (const n of nodes.slice(0, 2)) assert.deepEqual(c.liveNames(n), ['a', 'b', 'd'].filter((x) => x !== 'd'), `view of ${n.name}`);
      assert.deepEqual(left, ['e:dead', 'd:left']);
    } finally {
      await c.close();
    }
  });

  it('a node of another cluster cannot join, nor can a stock memberlist node', async () => {
    const c = new MemoryCluster();
    try {
      const a = await c.add('a');
      const other = await c.add('o', { dialect: goSidecarDialect('other') });
      const stock = await c.add('s', { dialect: STOCK_MEMBERLIST });
      assert.equal(await c.join(other, a), false);
      assert.equal(await c.join(stock, a), false);
      await c.run(3000);
      assert.deepEqual(c.liveNames(a), ['a']);
      assert.ok((a.list.stats().dropped['clusterRejected'] ?? 0) >= 1);
    } finally {
      await c.close();
    }
  });

  it('encrypted nodes join with the same key and refuse a wrong or missing one', async () => {
    const c = new MemoryCluster();
    const key = new Uint8Array(16).fill(7);
    const wrong = new Uint8Array(16).fill(9);
    try {
      const next = new Uint8Array(32).fill(3);
      // Rotation: a already accepts the next key; b still sends with the current one.
      const a = await c.add('a', { keyring: new Keyring(key, [next]) });
      const b = await c.add('b', { keyring: new Keyring(key) });
      const x = await c.add('x', { keyring: new Keyring(wrong) });
      const p = await c.add('p');
      assert.equal(await c.join(b, a), true, 'same primary key');
      assert.equal(await c.join(x, a), false);
      assert.equal(await c.join(p, a), false);
      await c.run(3000);
      assert.deepEqual(c.liveNames(a), ['a', 'b']);
    } finally {
      await c.close();
    }
  });
});

describe('Memberlist state changes', () => {
  it('reports a crashed node as suspect before it is declared dead', async () => {
    const c = new MemoryCluster();
    try {
      const nodes = [await c.add('a'), await c.add('b'), await c.add('d')];
      for (const n of nodes.slice(1)) await c.join(n, nodes[0]!);
      await c.run(2000);
      const seen: Array<{ state: string; at: number }> = [];
      nodes[0]!.list.onDidChangeState((m) => {
        if (m.name === 'd') seen.push({ state: m.state, at: c.clock.nowMs() });
      });
      const killedAt = c.clock.nowMs();
      await nodes[2]!.list.close();
      await c.run(12_000);
      assert.deepEqual(seen.map((s) => s.state), ['suspect', 'dead']);
      assert.ok(seen[0]!.at - killedAt <= 4000, `suspected after ${seen[0]!.at - killedAt} ms`);
    } finally {
      await c.close();
    }
  });
});
