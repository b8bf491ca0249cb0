import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ErrorCode, FakeClock, hasCode, silentLogger } from '../../src/core/index.js';
import { NetTransport, type NetTransportOptions } from '../../src/membership/transports/net-transport.js';
import type { IncomingPacket, StreamConnection } from '../../src/membership/transports/transport.js';
import { eventually } from '../helpers/eventually.js';

const HOST = '127.0.0.1';

function transport(options: Partial<NetTransportOptions> = {}): NetTransport {
  return new NetTransport({ bindHost: HOST, bindPort: 0, advertiseHost: HOST, logger: silentLogger(), clock: new FakeClock(), ...options });
}

/** Socket and server handles of this process, by kind. */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/TCP|UDP|Pipe/.test(kind)) out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/** What the process holds before any test: every test must end back here. */
const baseline = handles();

async function readAll(conn: StreamConnection): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let c = await conn.read(); c !== null; c = await conn.read()) parts.push(c);
  return Buffer.concat(parts);
}

async function pair(options: Partial<NetTransportOptions> = {}) {
  const a = transport(options);
  const b = transport(options);
  await a.start();
  await b.start();
  return { a, b };
}

test('one port for UDP and TCP; packets go both ways with the right sender', { timeout: 20_000 }, async () => {
  const clock = new FakeClock();
  const { a, b } = await pair({ clock });
  try {
    assert.ok(a.port > 0);
    assert.notEqual(a.port, b.port);
    assert.deepEqual(a.advertiseAddress, { host: HOST, port: a.port });
    const atA: IncomingPacket[] = [];
    const atB: IncomingPacket[] = [];
    a.onPacket((p) => atA.push(p));
    b.onPacket((p) => atB.push(p));
    a.sendPacket(b.advertiseAddress, Uint8Array.from([1, 2, 3]));
    b.sendPacket(a.advertiseAddress, Uint8Array.from([4]));
    await eventually(() => atA.length === 1 && atB.length === 1);
    assert.deepEqual([...(atB[0]?.data ?? [])], [1, 2, 3]);
    assert.deepEqual(atB[0]?.from, { host: HOST, port: a.port });
    assert.deepEqual(atA[0]?.from, { host: HOST, port: b.port });
    assert.equal(atA[0]?.receivedAtMs, clock.nowMs());
    assert.equal(a.stats().packetsSent, 1);
    assert.equal(a.stats().bytesSent, 3);
    assert.equal(b.stats().bytesReceived, 3);
    // Bad destinations are counted, never thrown.
    a.sendPacket({ host: HOST, port: 70000 }, Uint8Array.from([1]));
    a.sendPacket({ host: 'not an address', port: 1 }, Uint8Array.from([1]));
    await eventually(() => a.stats().sendErrors === 2);
  } finally {
    await a.close();
    await b.close();
  }
  await eventually(() => assert.deepEqual(handles(), baseline));
});

test('streams carry 5 MiB both ways intact; the reader paces the writer', { timeout: 20_000 }, async () => {
  const { a, b } = await pair({ streamMaxBufferedBytes: 256 * 1024 });
  try {
    const accepted: StreamConnection[] = [];
    b.onStream((s) => accepted.push(s));
    const client = await a.dialStream(b.advertiseAddress, 2000);
    assert.deepEqual(client.remote, b.advertiseAddress);
    await eventually(() => accepted.length === 1);
    const server = accepted[0]!;
    assert.equal(server.remote.host, HOST);

    const up = randomBytes(5 * 1024 * 1024);
    for (let i = 0; i < up.length; i += 100_000) client.write(up.subarray(i, i + 100_000));
    client.end();
    // Nobody reads yet: the server side stops pulling from its socket near the cap.
    await eventually(() => b.stats().streamBytesReceived > 256 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(b.stats().streamBytesReceived < 1024 * 1024, `buffered ${b.stats().streamBytesReceived}`);
    assert.ok(up.equals(await readAll(server)));

    const down = randomBytes(5 * 1024 * 1024);
    server.write(down);
    server.end();
    assert.ok(down.equals(await readAll(client)));
    await eventually(() => a.openStreams === 0 && b.openStreams === 0);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a dial to a closed port is refused quickly, naming the address', { timeout: 20_000 }, async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const a = transport();
  await a.start();
  try {
    const started = Date.now();
    await assert.rejects(a.dialStream({ host: HOST, port }, 5000), (err: unknown) => {
      assert.ok(hasCode(err, ErrorCode.MEMBERSHIP_DIAL));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
      return true;
    });
    assert.ok(Date.now() - started < 1000);
    assert.equal(a.stats().dialsFailed, 1);
  } finally {
    await a.close();
  }
});

test('a dial that does not connect in time is destroyed and rejected', { timeout: 20_000 }, async () => {
  const clock = new FakeClock();
  const { a, b } = await pair({ clock });
  try {
    const accepted: StreamConnection[] = [];
    b.onStream((s) => accepted.push(s));
    const dial = a.dialStream(b.advertiseAddress, 300);
    clock.advance(300); // before the connection can complete (it needs the event loop)
    await assert.rejects(dial, (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_DIAL) && /:\d+: no connection within 300 ms/.test((err as Error).message));
    assert.equal(clock.pendingTimers, 0);
    assert.equal(a.openStreams, 0);
  } finally {
    await a.close();
    await b.close();
  }
  await eventually(() => assert.deepEqual(handles(), baseline));
});

/** A UDP socket bound on HOST at a port whose TCP twin was free a moment ago. */
async function udpWithFreeTcpTwin(): Promise<{ udp: Socket; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, HOST, resolve));
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, HOST, () => resolve(true));
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (bound) return { udp, port };
    udp.close();
    if (attempt === 10) throw new Error('no port free for both TCP and UDP in 10 attempts');
  }
}

test('bind conflicts are catalogue errors that name the address and the way out', { timeout: 20_000 }, async () => {
  const a = transport();
  await a.start();
  try {
    const tcpTaken = transport({ bindPort: a.port });
    await assert.rejects(tcpTaken.start(), (err: unknown) => {
      assert.ok(hasCode(err, ErrorCode.MEMBERSHIP_BIND));
      assert.match(err.message, new RegExp(`TCP 127\\.0\\.0\\.1:${a.port}: .*in use.*--bind-port`));
      return true;
    });
    await tcpTaken.close();
  } finally {
    await a.close();
  }
  // Only UDP taken. The port comes from a TCP listen on port 0, so its TCP twin is free (a UDP
  // port 0 may land on a TCP port another process on this shared machine holds, and then TCP,
  // which binds first, is the one reported); the listener closes just before the start.
  const { udp, port } = await udpWithFreeTcpTwin();
  const udpTaken = transport({ bindPort: port });
  try {
    await assert.rejects(udpTaken.start(), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_BIND) && (err as Error).message.includes(`UDP 127.0.0.1:${port}`));
  } finally {
    await udpTaken.close();
    await new Promise<void>((resolve) => udp.close(resolve));
  }
  const notLocal = transport({ bindHost: '192.0.2.1' });
  await assert.rejects(notLocal.start(), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_BIND) && /192\.0\.2\.1:0: the address is not one of this host/.test((err as Error).message));
  await notLocal.close();
});

test('close ends streams and dials, leaves no handles, and is idempotent', { timeout: 20_000 }, async () => {
  const { a, b } = await pair();
  const accepted: StreamConnection[] = [];
  b.onStream((s) => accepted.push(s));
  const client = await a.dialStream(b.advertiseAddress, 2000);
  await eventually(() => accepted.length === 1);
  const server = accepted[0]!;
  const clientRead = client.read();
  const serverRead = server.read();
  const closing = a.close();
  assert.equal(a.close(), closing);
  await closing;
  assert.equal(await clientRead, null);
  assert.equal(await serverRead, null, 'the peer sees the connection go');
  await assert.rejects(a.dialStream(b.advertiseAddress, 100), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_DIAL));
  a.sendPacket(b.advertiseAddress, Uint8Array.from([1]));
  assert.equal(a.stats().sendErrors, 1);
  server.destroy();
  await b.close();
  await b.close();
  await assert.rejects(b.start(), (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_BIND));
  await eventually(() => assert.deepEqual(handles(), baseline));
});

test('close while starting and while dialling leaves nothing behind', { timeout: 20_000 }, async () => {
  const a = transport();
  const starting = a.start();
  await a.close();
  await assert.rejects(starting, (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_BIND));
  const { a: c, b } = await pair();
  const dial = c.dialStream(b.advertiseAddress, 2000);
  await c.close();
  await assert.rejects(dial, (err: unknown) => hasCode(err, ErrorCode.MEMBERSHIP_DIAL) && /closed/.test((err as Error).message));
  await b.close();
  await eventually(() => assert.deepEqual(handles(), baseline));
});
