import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, FakeClock, hasCode } from '../../../src/core/index.js';
import { MemoryNetwork, type MemoryNetworkOptions } from '../../../src/membership/transports/memory-network.js';
import type { IncomingPacket, PeerAddress, StreamConnection } from '../../../src/membership/transports/transport.js';
import { seededRandom } from './seeded-random.js';

const A: PeerAddress = { host: '10.0.0.1', port: 7946 };
const B: PeerAddress = { host: '10.0.0.2', port: 7946 };
const C: PeerAddress = { host: '10.0.0.3', port: 7946 };

/** Lets promise callbacks (stream reads, dial results) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

async function setup(options: Partial<MemoryNetworkOptions> = {}, addresses: PeerAddress[] = [A, B]) {
  const clock = new FakeClock(1_000_000);
  const net = new MemoryNetwork({ clock, rng: seededRandom(42).next, ...options });
  const transports = addresses.map((a) => net.createTransport(a));
  const received = transports.map(() => [] as IncomingPacket[]);
  const accepted = transports.map(() => [] as StreamConnection[]);
  for (const [i, t] of transports.entries()) {
    await t.start();
    t.onPacket((p) => received[i]?.push(p));
    t.onStream((s) => accepted[i]?.push(s));
  }
  return { clock, net, transports, received, accepted };
}

/** Dials and lets the clock run until the dial settles. */
async function dial(clock: FakeClock, from: { dialStream(to: PeerAddress, timeoutMs: number): Promise<StreamConnection> }, to: PeerAddress, timeoutMs = 1000) {
  const pending = from.dialStream(to, timeoutMs).then(
    (conn) => ({ conn, at: clock.nowMs() }),
    (err: unknown) => ({ err, at: clock.nowMs() }),
  );
  let done = false;
  void pending.then(() => (done = true));
  for (let i = 0; i <= timeoutMs + 1 && !done; i++) {
    await settle();
    if (!done) clock.advance(1);
  }
  return pending;
}

test('packets arrive after the latency, stamped, with the sender address and counted', async () => {
  const { clock, transports, received, net } = await setup({ latencyMs: 5 });
  const [a, b] = transports;
  const start = clock.nowMs();
  a?.sendPacket(B, bytes(1, 2, 3));
  clock.advance(4);
  assert.equal(received[1]?.length, 0);
  clock.advance(1);
  assert.equal(received[1]?.length, 1);
  const p = received[1]?.[0];
  assert.deepEqual(p?.data, bytes(1, 2, 3));
  assert.deepEqual(p?.from, A);
  assert.equal(p?.receivedAtMs, start + 5);
  b?.sendPacket(A, bytes(9));
  clock.advance(5);
  assert.deepEqual(received[0]?.map((x) => [...x.data]), [[9]]);
  assert.deepEqual(received[0]?.[0]?.from, B);
  const sa = net.stats(A.host);
  assert.equal(sa.packetsSent, 1);
  assert.equal(sa.bytesSent, 3);
  assert.equal(sa.packetsReceived, 1);
  assert.equal(sa.bytesReceived, 1);
  assert.equal(net.totals().bytesSent, 4);
  assert.equal(net.stats('10.9.9.9').packetsSent, 0);
  net.resetStats();
  assert.equal(net.totals().packetsSent, 0);
});

test('jitter spreads arrival over [latency, latency + jitter)', async () => {
  const { clock, transports, received } = await setup({ latencyMs: 2, jitterMs: 10 });
  const start = clock.nowMs();
  for (let i = 0; i < 200; i++) transports[0]?.sendPacket(B, bytes(i));
  clock.advance(12);
  const delays = received[1]?.map((p) => p.receivedAtMs - start) ?? [];
  assert.equal(delays.length, 200);
  assert.ok(delays.every((d) => d >= 2 && d < 12));
  assert.ok(Math.max(...delays) - Math.min(...delays) > 5, 'delays should vary');
});

test('the loss rate is honoured over many packets, and per-host overrides apply both ways', async () => {
  const { clock, transports, received, net } = await setup({ lossRate: 0.2 }, [A, B, C]);
  for (let i = 0; i < 5_000; i++) transports[0]?.sendPacket(B, bytes(1));
  clock.advance(1);
  const lost = net.stats(A.host).packetsDropped.loss;
  assert.ok(lost > 900 && lost < 1100, `lost ${lost}`);
  assert.equal((received[1]?.length ?? 0) + lost, 5_000);

  net.setLoss(C.host, 1);
  transports[0]?.sendPacket(C, bytes(1));
  transports[2]?.sendPacket(A, bytes(1));
  clock.advance(1);
  assert.equal(received[2]?.length, 0);
  assert.equal(net.stats(C.host).packetsDropped.loss, 1);
  net.setLoss(C.host, 0);
  net.setLoss(A.host, 0);
  for (let i = 0; i < 100; i++) transports[2]?.sendPacket(A, bytes(1)); // max(0, 0): no loss
  clock.advance(1);
  assert.equal(net.stats(C.host).packetsDropped.loss, 1);
  net.setLoss(C.host, null);
  assert.throws(() => net.setLoss(C.host, 1.5), /between 0 and 1/);
});

test('a seed and a sequence of calls give the same run', async () => {
  const run = async (seed: number) => {
    const { clock, transports, received } = await setup({ rng: seededRandom(seed).next, lossRate: 0.3, jitterMs: 4 });
    for (let i = 0; i < 300; i++) transports[0]?.sendPacket(B, bytes(i % 256));
    clock.advance(10);
    return received[1]?.map((p) => `${p.data[0]}@${p.receivedAtMs}`).join(',');
  };
  assert.equal(await run(7), await run(7));
  assert.notEqual(await run(7), await run(8));
});

test('partitions drop packets both ways until healed; packets to nobody are counted', async () => {
  const { clock, transports, received, net } = await setup({}, [A, B, C]);
  const [a, b, c] = transports;
  net.partition([A.host], [B.host]);
  assert.ok(net.isPartitioned(B.host, A.host));
  a?.sendPacket(B, bytes(1));
  b?.sendPacket(A, bytes(2));
  a?.sendPacket(C, bytes(3));
  c?.sendPacket(B, bytes(4));
  clock.advance(1);
  assert.equal(received[0]?.length, 0);
  assert.deepEqual(received[1]?.map((p) => p.data[0]), [4]);
  assert.deepEqual(received[2]?.map((p) => p.data[0]), [3]);
  assert.equal(net.stats(A.host).packetsDropped.partition, 1);
  assert.equal(net.stats(B.host).packetsDropped.partition, 1);
  net.heal();
  a?.sendPacket(B, bytes(5));
  a?.sendPacket({ host: B.host, port: 1 }, bytes(6));
  a?.sendPacket({ host: '10.0.0.99', port: 7946 }, bytes(7));
  clock.advance(1);
  assert.deepEqual(received[1]?.map((p) => p.data[0]), [4, 5]);
  assert.equal(net.stats(A.host).packetsDropped.noListener, 2);
  // A packet in flight when its receiver closes is dropped as well.
  a?.sendPacket(B, bytes(8));
  await b?.close();
  clock.advance(1);
  assert.equal(net.stats(A.host).packetsDropped.noListener, 3);
  assert.equal(clock.pendingTimers, 0);
});

test('an address is bound once; close frees it and is idempotent', async () => {
  const { net, transports, clock, received } = await setup();
  const again = net.createTransport(A);
  await assert.rejects(again.start(), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_BIND) && /10\.0\.0\.1:7946/.test((err as Error).message));
  await transports[0]?.close();
  await transports[0]?.close();
  await again.start();
  transports[1]?.sendPacket(A, bytes(1));
  transports[0]?.sendPacket(B, bytes(2)); // closed: ignored
  clock.advance(1);
  assert.equal(received[0]?.length, 0, 'the closed transport gets nothing');
  assert.equal(received[1]?.length, 0);
  assert.equal(net.stats(B.host).packetsDropped.noListener, 0);
  await assert.rejects(transports[0]?.start() ?? Promise.resolve(), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_BIND));
});

test('a stalled host gets everything, in order, when the stall ends', async () => {
  const { clock, net, transports, received, accepted } = await setup({ latencyMs: 1, jitterMs: 0 });
  const [a, b] = transports;
  const conn = ((await dial(clock, a!, B)) as { conn: StreamConnection }).conn;
  const serverSide = accepted[1]?.[0];
  assert.ok(serverSide);
  const start = clock.nowMs();
  net.stall(B.host, start + 50);
  assert.ok(net.isStalled(B.host));
  a?.sendPacket(B, bytes(1));
  conn.write(bytes(10));
  clock.advance(5);
  a?.sendPacket(B, bytes(2));
  conn.write(bytes(11));
  b?.sendPacket(A, bytes(99)); // B's view of A is not stalled (not used by the protocol, but allowed)
  clock.advance(40);
  assert.equal(received[1]?.length, 0);
  let chunk: Uint8Array | null = null;
  void serverSide.read().then((c) => (chunk = c));
  await settle();
  assert.equal(chunk, null, 'nothing read while stalled');
  clock.advance(5);
  assert.equal(net.isStalled(B.host), false);
  assert.deepEqual(received[1]?.map((p) => [p.data[0], p.receivedAtMs]), [
    [1, start + 50],
    [2, start + 50],
  ]);
  await settle();
  assert.deepEqual(chunk, bytes(10));
  assert.deepEqual(await serverSide.read(), bytes(11));
  // After the stall, delivery is immediate again.
  a?.sendPacket(B, bytes(3));
  clock.advance(1);
  assert.equal(received[1]?.length, 3);
  // A new stream accepted by a stalled host shows up when the stall ends.
  net.stall(B.host, clock.nowMs() + 20);
  const second = await dial(clock, a!, B);
  assert.ok('conn' in second);
  assert.equal(accepted[1]?.length, 1);
  clock.advance(20);
  assert.equal(accepted[1]?.length, 2);
  // A stall may be cut short.
  net.stall(B.host, clock.nowMs() + 100);
  a?.sendPacket(B, bytes(4));
  clock.advance(1);
  net.stall(B.host, 0);
  assert.equal(received[1]?.length, 4);
});

test('streams connect after one latency, carry chunks in order both ways, and end with null', async () => {
  const { clock, transports, accepted, net } = await setup({ latencyMs: 3, jitterMs: 5 });
  const start = clock.nowMs();
  const result = await dial(clock, transports[0]!, B);
  assert.ok('conn' in result);
  assert.ok(result.at - start >= 3 && result.at - start < 8);
  const client = result.conn;
  assert.deepEqual(client.remote, B);
  const server = accepted[1]?.[0];
  assert.ok(server);
  assert.deepEqual(server.remote, A);
  for (let i = 0; i < 50; i++) client.write(bytes(i));
  client.end();
  client.write(bytes(200)); // after end: ignored
  clock.advance(100);
  const got: number[] = [];
  for (let c = await server.read(); c !== null; c = await server.read()) got.push(...c);
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(await server.read(), null);
  // Half-closed: the server can still answer.
  server.write(bytes(7, 8));
  server.end();
  clock.advance(10);
  assert.deepEqual(await client.read(), bytes(7, 8));
  assert.equal(await client.read(), null);
  assert.equal(transports[0]?.openStreams, 0, 'ended both ways: no longer tracked');
  assert.equal(transports[1]?.openStreams, 0);
  const sa = net.stats(A.host);
  assert.equal(sa.streamsDialed, 1);
  assert.equal(sa.streamBytesSent, 50);
  assert.equal(sa.streamBytesReceived, 2);
  assert.equal(net.stats(B.host).streamsAccepted, 1);
  assert.equal(net.stats(B.host).streamBytesReceived, 50);
  assert.equal(clock.pendingTimers, 0);
});

test('a read waiting before data arrives gets it', async () => {
  const { clock, transports, accepted } = await setup();
  const { conn } = (await dial(clock, transports[0]!, B)) as { conn: StreamConnection };
  const server = accepted[1]?.[0];
  const pending = server!.read();
  conn.write(bytes(5));
  clock.advance(1);
  assert.deepEqual(await pending, bytes(5));
});

test('a dial to nobody is refused after a round trip; across a partition it times out', async () => {
  const { clock, transports, net } = await setup({ latencyMs: 4 }, [A, B, C]);
  const start = clock.nowMs();
  const refused = await dial(clock, transports[0]!, { host: B.host, port: 1 }, 1000);
  assert.ok('err' in refused);
  assert.ok(hasCode(refused.err, ErrorCode.MEMBERSHIP_DIAL));
  assert.match((refused.err as Error).message, /10\.0\.0\.2:1: connection refused/);
  assert.equal(refused.at - start, 8);

  net.partition([A.host], [B.host, C.host]);
  const t0 = clock.nowMs();
  const timedOut = await dial(clock, transports[0]!, B, 250);
  assert.ok('err' in timedOut);
  assert.ok(hasCode(timedOut.err, ErrorCode.MEMBERSHIP_DIAL));
  assert.match((timedOut.err as Error).message, /10\.0\.0\.2:7946.*250 ms/);
  assert.equal(timedOut.at - t0, 250);
  assert.equal(net.stats(A.host).dialsFailed, 2);
  // The other way too.
  const back = await dial(clock, transports[2]!, A, 50);
  assert.ok('err' in back);
  net.heal();
  const ok = await dial(clock, transports[2]!, A, 50);
  assert.ok('conn' in ok);
  ok.conn.destroy();
  clock.advance(10);
  assert.equal(clock.pendingTimers, 0);
});

test('destroy ends reads on both sides; close destroys open streams and pending dials', async () => {
  const { clock, transports, accepted } = await setup();
  const [a, b] = transports;
  const { conn } = (await dial(clock, a!, B)) as { conn: StreamConnection };
  const server = accepted[1]![0]!;
  const waiting = conn.read();
  conn.write(bytes(1));
  conn.destroy();
  conn.destroy();
  assert.equal(await waiting, null);
  assert.equal(await conn.read(), null);
  conn.write(bytes(2)); // ignored
  clock.advance(1);
  assert.deepEqual(await server.read(), bytes(1), 'chunks sent before the destroy still arrive');
  assert.equal(await server.read(), null);
  server.write(bytes(3)); // to a reset peer: dropped
  clock.advance(1);
  assert.equal(a?.openStreams, 0);
  assert.equal(b?.openStreams, 0);

  const second = (await dial(clock, a!, B)) as { conn: StreamConnection };
  const secondServer = accepted[1]![1]!;
  const serverRead = secondServer.read();
  const clientRead = second.conn.read();
  const pendingDial = a!.dialStream({ host: B.host, port: 1 }, 1000);
  await a?.close();
  await assert.rejects(pendingDial, (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_DIAL) && /closed/.test((err as Error).message));
  assert.equal(await clientRead, null);
  clock.advance(1);
  assert.equal(await serverRead, null, 'the peer sees the reset');
  await assert.rejects(a!.dialStream(B, 10), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_DIAL));
  assert.equal(a?.openStreams, 0);
  assert.equal(b?.openStreams, 0);
  clock.advance(10);
  assert.equal(clock.pendingTimers, 0);
});

test('a partition under an open stream drops its chunks; reads wait until destroyed', async () => {
  const { clock, transports, accepted, net } = await setup();
  const { conn } = (await dial(clock, transports[0]!, B)) as { conn: StreamConnection };
  const server = accepted[1]![0]!;
  conn.write(bytes(1));
  net.partition([A.host], [B.host]);
  conn.write(bytes(2));
  net.heal();
  conn.write(bytes(3)); // the direction stays broken
  clock.advance(5);
  assert.deepEqual(await server.read(), bytes(1));
  let next: Uint8Array | null | 'pending' = 'pending';
  void server.read().then((c) => (next = c));
  clock.advance(100);
  await settle();
  assert.equal(next, 'pending');
  server.destroy();
  await settle();
  assert.equal(next, null);
});

test('payloads are shared by default and copied with copyPayloads', async () => {
  for (const copyPayloads of [false, true]) {
    const { clock, transports, received } = await setup({ copyPayloads });
    const buf = bytes(1);
    transports[0]?.sendPacket(B, buf);
    buf[0] = 2;
    clock.advance(1);
    assert.equal(received[1]?.[0]?.data[0], copyPayloads ? 1 : 2);
  }
});

test('what arrives as a stall ends waits behind what was held', async () => {
  const draws = [0.9, 0];
  const { clock, net, transports, received } = await setup({ latencyMs: 1, jitterMs: 10, rng: () => draws.shift() ?? 0 });
  const start = clock.nowMs();
  transports[0]?.sendPacket(B, bytes(1)); // arrives at +10
  transports[0]?.sendPacket(B, bytes(2)); // arrives at +1, held
  net.stall(B.host, start + 10);
  clock.advance(10);
  assert.deepEqual(received[1]?.map((p) => p.data[0]), [2, 1]);
});
