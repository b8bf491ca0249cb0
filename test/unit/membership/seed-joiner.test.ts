import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, silentLogger } from '../../../src/core/index.js';
import { Reconnector, SeedJoiner, type PeerAddress } from '../../../src/membership/index.js';
import { parseSeed, type Joinable } from '../../../src/membership/engine/seed-joiner.js';
import { type PushPullResult } from '../../../src/membership/engine/stream-exchange.js';
import { MemoryCluster } from '../../helpers/memory-cluster.js';

describe('parseSeed', () => {
  it('reads host, host:port and [v6]:port, and names a bad seed', () => {
    assert.deepEqual(parseSeed('10.0.0.1', 7946), { host: '10.0.0.1', port: 7946 });
    assert.deepEqual(parseSeed(' db1:8000 ', 7946), { host: 'db1', port: 8000 });
    assert.deepEqual(parseSeed('[fd00::1]:9000', 7946), { host: 'fd00::1', port: 9000 });
    assert.deepEqual(parseSeed('fd00::1', 7946), { host: 'fd00::1', port: 7946 });
    assert.throws(() => parseSeed('host:99999', 7946), /seed "host:99999" is not host or host:port/);
    assert.throws(() => parseSeed(':80', 7946), /SC_ERR_CONFIG_INVALID|seed/);
  });
});

class FakeMember implements Joinable {
  numMembers = 1;
  reachable = false;
  readonly attempts: Array<{ at: number; seeds: string[] }> = [];
  constructor(private readonly clock: FakeClock) {}
  join(seeds: readonly PeerAddress[]): Promise<PushPullResult[]> {
    this.attempts.push({ at: this.clock.nowMs(), seeds: seeds.map((s) => `${s.host}:${s.port}`) });
    if (this.reachable) this.numMembers = 2;
    return Promise.resolve(seeds.map(() => (this.reachable ? { ok: true, nodes: 2 } : { ok: false, error: 'refused' })));
  }
}

describe('SeedJoiner', () => {
  it('retries with doubling back-off while no seed answers, then rejoins when left alone', async () => {
    const clock = new FakeClock();
    const member = new FakeMember(clock);
    const joiner = new SeedJoiner({ member, seeds: ['seed-a', '10.0.0.9:8000'], defaultPort: 7946, clock, logger: silentLogger(), resolve: async (h) => (h === 'seed-a' ? ['10.0.0.8'] : [h]) });
    try {
      assert.equal(await joiner.start(), false);
      assert.deepEqual(member.attempts[0]?.seeds, ['10.0.0.8:7946', '10.0.0.9:8000']);
      await clock.advanceAsync(1000 + 2000 + 4000, 100);
      assert.deepEqual(member.attempts.map((a) => a.at - member.attempts[0]!.at), [0, 1000, 3000, 7000]);
      member.reachable = true;
      await clock.advanceAsync(8000, 100);
      assert.equal(joiner.hasJoined, true);
      const joinedAttempts = member.attempts.length;
      await clock.advanceAsync(20_000, 100);
      assert.equal(member.attempts.length, joinedAttempts, 'no attempts while others are there');
      member.numMembers = 1;
      await clock.advanceAsync(5000, 100);
      assert.equal(member.attempts.length, joinedAttempts + 1, 'a lone node tries the seeds again');
    } finally {
      joiner.close();
    }
  });

  it('with no seeds runs alone without trying', async () => {
    const clock = new FakeClock();
    const member = new FakeMember(clock);
    const joiner = new SeedJoiner({ member, seeds: [], defaultPort: 7946, clock, logger: silentLogger() });
    assert.equal(await joiner.start(), false);
    await clock.advanceAsync(60_000, 1000);
    assert.equal(member.attempts.length, 0);
    joiner.close();
  });
});

describe('Reconnector', () => {
  it('two halves that declared each other dead find each other again after the partition heals', async () => {
    const c = new MemoryCluster();
    try {
      const nodes = [await c.add('a'), await c.add('b'), await c.add('d'), await c.add('e')];
      for (const n of nodes.slice(1)) await c.join(n, nodes[0]!);
      await c.run(2000);
      const reconnectors = nodes.map((n) => new Reconnector({ member: n.list, clock: c.clock, random: c.random, logger: silentLogger() }));
      for (const r of reconnectors) r.start();
      c.network.partition(['10.0.0.1', '10.0.0.2'], ['10.0.0.3', '10.0.0.4']);
      await c.run(60_000);
      assert.deepEqual(c.liveNames(nodes[0]!), ['a', 'b']);
      assert.deepEqual(c.liveNames(nodes[3]!), ['d', 'e']);
      c.network.heal();
      await c.run(25_000);
      for (const n of nodes) assert.deepEqual(c.liveNames(n), ['a', 'b', 'd', 'e'], `view of ${n.name}`);
      for (const r of reconnectors) r.close();
    } finally {
      await c.close();
    }
  });
});
