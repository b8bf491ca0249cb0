import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../src/membership/index.js';
import { type MembershipStatsSnapshot } from '../../../src/membership/engine/membership-stats.js';
import { MemoryNetwork } from '../../../src/membership/transports/memory-network.js';
import {
  NodeClock,
  SimClock,
  SimCluster,
  convergenceTimes,
  simulate,
  type SimulationOptions,
  type SimulationResult,
} from '../../../sim/index.js';

const START = 1_000_000;

describe('SimClock', () => {
  it('fires timers in time order, ties in scheduling order, and stops at the target time', async () => {
    const clock = new SimClock({ startMs: START });
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.nowMs() - START}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.nowMs() - START}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.nowMs() - START}`), 20);
    const cancelled = clock.setTimeout(() => fired.push('never'), 15);
    clock.clearTimeout(cancelled);
    clock.setTimeout(() => fired.push('later'), 31);
    await clock.advance(30);
    assert.deepEqual(fired, ['a@10', 'b@20', 'c@20']);
    assert.equal(clock.nowMs(), START + 30);
    assert.equal(clock.pendingTimers, 1);
  });

  it('repeats intervals until cleared, also from their own callback', async () => {
    const clock = new SimClock({ startMs: START });
    const ticks: number[] = [];
    const handle = clock.setInterval(() => {
      ticks.push(clock.nowMs() - START);
      if (ticks.length === 3) clock.clearInterval(handle);
    }, 100);
    await clock.advance(1000);
    assert.deepEqual(ticks, [100, 200, 300]);
    assert.equal(clock.pendingTimers, 0);
  });

  it('lets promise callbacks run between time slices, at the time that resolved them', async () => {
    const clock = new SimClock({ startMs: START });
    const seen: string[] = [];
    const wait = (ms: number): Promise<number> => new Promise((resolve) => clock.setTimeout(() => resolve(clock.nowMs() - START), ms));
    const chain = (async () => {
      const first = await wait(5);
      seen.push(`resumed@${first}/${clock.nowMs() - START}`);
      // A timer set from a promise callback at time 5 fires at 5 + 3, before the one due at 9.
      const second = await wait(3);
      seen.push(`resumed@${second}`);
    })();
    clock.setTimeout(() => seen.push('other@9'), 9);
    await clock.advance(20);
    await chain;
    assert.deepEqual(seen, ['resumed@5/5', 'resumed@8', 'other@9']);
  });

  it('runs until a promise settles, and refuses to run twice at once', async () => {
    const clock = new SimClock({ startMs: START });
    const done = new Promise<string>((resolve) => clock.setTimeout(() => resolve('ok'), 250));
    assert.equal(await clock.runUntilSettled(done, 1000), 'ok');
    assert.ok(clock.nowMs() - START >= 250 && clock.nowMs() - START < 300);
    clock.setTimeout(() => undefined, 5);
    const first = clock.advance(10);
    await assert.rejects(clock.advance(10), /already running/);
    await first;
    await assert.rejects(clock.runUntilSettled(new Promise(() => undefined), 100), /did not finish/);
  });
});

/**
 * Node 0 of a 5-node simulated cluster (seed `seed`) stalls for `stallMs`, starting within
 * 1 ms of its next probe (the ack needs 10 ms), then runs on until `afterMs` from the stall's
 * start. Returns node 0's stats then.
 */
async function statsAfterStallInProbe(seed: number, stallMs: number, afterMs: number): Promise<MembershipStatsSnapshot> {
  const cluster = new SimCluster({ nodes: 5, seed, latencyMs: 5 });
  try {
    await cluster.start();
    await cluster.clock.advance(3000);
    const node = cluster.nodes[0];
    assert.ok(node !== undefined);
    const probe = node.list.stats().probes + 1;
    assert.ok(await cluster.clock.runWhile(() => node.list.stats().probes < probe, 5000, 1));
    cluster.stall(node, stallMs);
    await cluster.clock.advance(afterMs);
    return node.list.stats();
  } finally {
    await cluster.close();
  }
}

describe('NodeClock stalls', () => {
  it('holds timers due during a stall and fires them late, in due order, at its end', async () => {
    const sim = new SimClock({ startMs: START });
    const node = new NodeClock(sim);
    const fired: string[] = [];
    node.setTimeout(() => fired.push(`t300@${node.nowMs() - START}`), 300);
    node.setTimeout(() => fired.push(`t100@${node.nowMs() - START}`), 100);
    const cleared = node.setTimeout(() => fired.push('cleared'), 200);
    const ticks: number[] = [];
    node.setInterval(() => ticks.push(node.nowMs() - START), 250);
    sim.setTimeout(() => node.clearTimeout(cleared), 1500); // held, then cleared while held
    node.stall(START + 2000); // blocked from 0 to 2000
    await sim.advance(2600);
    assert.deepEqual(fired, ['t100@2000', 't300@2000']);
    // The interval fires once, late, then keeps its period from there (Node's rule).
    assert.deepEqual(ticks, [2000, 2250, 2500]);
    assert.equal(node.isStalled, false);
    assert.equal(node.heldTimers, 4);
  });

  it('at the end of a stall, the node runs its late timers before the I/O that waited', async () => {
    const sim = new SimClock({ startMs: START });
    const net = new MemoryNetwork({ clock: sim, rng: seededRandom(1), latencyMs: 1 });
    const a = net.createTransport({ host: '10.0.0.1', port: 7946 });
    const b = net.createTransport({ host: '10.0.0.2', port: 7946 });
    await a.start();
    await b.start();
    const clockB = new NodeClock(sim);
    const order: string[] = [];
    b.onPacket(() => order.push(`packet@${sim.nowMs() - START}`));
    clockB.setTimeout(() => {
      order.push(`timer@${sim.nowMs() - START}`);
      // A promise callback of the late timer also runs before the held packet.
      void Promise.resolve().then(() => order.push('timer callback'));
    }, 500);
    const until = START + 1000;
    clockB.stall(until);
    net.stall('10.0.0.2', until);
    sim.setTimeout(() => a.sendPacket({ host: '10.0.0.2', port: 7946 }, new Uint8Array([1])), 100);
    await sim.advance(1500);
    assert.deepEqual(order, ['timer@1000', 'timer callback', 'packet@1000']);
    await a.close();
    await b.close();
  });

  it('a node stalled while the ack of its probe is in flight extends the deadline, then takes the held ack', async () => {
    const stats = await statsAfterStallInProbe(3, 2000, 2100);
    assert.equal(stats.stallGraces, 1, 'the late deadline was seen as our own stall');
    assert.equal(stats.dropped['lateAck'] ?? 0, 0, 'the ack held by the stall was taken');
    assert.equal(stats.probesFailed, 0);
    assert.equal(stats.suspicionsRaised, 0);
    assert.equal(stats.indirectProbes, 0, 'no indirect phase: the direct ack was enough');
  });

  it('a stall longer than the ack window (3 probe intervals) still keeps the held ack', async () => {
    const stats = await statsAfterStallInProbe(3, 5000, 5100);
    assert.equal(stats.stallGraces, 1, 'the late deadline was seen as our own stall');
    assert.equal(stats.dropped['lateAck'] ?? 0, 0, 'the ack held by the stall was taken');
    assert.equal(stats.probesFailed, 0);
    assert.equal(stats.suspicionsRaised, 0);
  });

  it('probes interrupted by our own 2 s stall raise no false suspicion', async () => {
    let graces = 0;
    let falseSuspicions = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const stats = await statsAfterStallInProbe(seed, 2000, 12_000);
      graces += stats.stallGraces;
      falseSuspicions += stats.suspicionsRaised;
    }
    assert.ok(graces >= 3, `the stalls hit probes in flight (${graces} graces)`);
    assert.equal(falseSuspicions, 0);
  });
});

describe('convergenceTimes', () => {
  it('reports the time until each share of the population saw it, null when not reached', () => {
    const t = convergenceTimes([30, 10, 20, 40], 4);
    assert.deepEqual(t, { of: 4, reached: 4, p50Ms: 20, p99Ms: 40, p999Ms: 40, p100Ms: 40 });
    assert.deepEqual(convergenceTimes([5, 1], 4), { of: 4, reached: 2, p50Ms: 5, p99Ms: null, p999Ms: null, p100Ms: null });
  });
});

/** A short run: 40 nodes, shortened windows. */
function smallRun(seed: number, extra: Partial<SimulationOptions> = {}): Promise<SimulationResult> {
  return simulate({ nodes: 40, seed, warmupMs: 3000, steadyMs: 2000, stallStaggerMs: 1000, ...extra });
}

function withoutCost(r: SimulationResult): Omit<SimulationResult, 'cost'> {
  const { cost: _cost, ...rest } = r;
  return rest;
}

describe('simulate', () => {
  it('is deterministic: the same seed gives the same metrics', async () => {
    const a = await smallRun(11, { lossRate: 0.05 });
    const b = await smallRun(11, { lossRate: 0.05 });
    assert.deepEqual(withoutCost(a), withoutCost(b));
    const c = await smallRun(12, { lossRate: 0.05 });
    assert.notDeepEqual(withoutCost(a), withoutCost(c));
  });

  it('at 0% loss: a broadcast reaches every node, a crashed node is dead to all, a left node is gone for all', async () => {
    const r = await smallRun(5);
    assert.equal(r.broadcast?.holding.reached, 40);
    assert.ok((r.broadcast?.holding.p100Ms ?? Infinity) < 2000, `100% in ${r.broadcast?.holding.p100Ms} ms`);
    assert.ok((r.steady?.udpBytesPerNodePerSec ?? 0) > 0);
    assert.ok(r.failure !== undefined);
    assert.equal(r.failure.dead.reached, r.failure.dead.of);
    assert.ok(r.failure.firstSuspicionMs !== null && r.failure.firstSuspicionMs < (r.failure.dead.p50Ms ?? 0));
    assert.equal(r.failure.otherDeaths, 0);
    assert.ok(r.leave !== undefined);
    assert.equal(r.leave.left.reached, r.leave.left.of);
    assert.equal(r.leave.declaredDead, 0);
  });

  it('a 2 s stall of one node: no dead declarations, the node refutes any suspicion', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await simulate({ nodes: 30, seed, warmupMs: 3000, scenarios: ['stalls'], stallFraction: 0.01 });
      assert.ok(r.stalls !== undefined);
      assert.equal(r.stalls.stalledNodes, 1);
      assert.equal(r.stalls.deadDeclarations, 0, `seed ${seed}`);
      assert.equal(r.stalls.openSuspicionsAtEnd, 0);
      assert.equal(r.stalls.refutationsByStalled, r.stalls.suspectedStalledNodes);
    }
  });

  it('can build the cluster by real joins instead of a warm start', async () => {
    const r = await simulate({ nodes: 12, seed: 4, warmStart: false, warmupMs: 2000, scenarios: ['broadcast'] });
    assert.equal(r.broadcast?.holding.reached, 12);
  });
});
