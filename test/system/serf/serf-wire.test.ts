/**
 * Wire compatibility with Debian's serf (stock hashicorp/memberlist): our encoded alive + ping
 * go to a real serf agent over UDP on 127.0.0.1 and its ack must decode. Skips when `serf` is
 * not installed (scripts/serf/start-serf.sh installs it), except under CI=true where it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { STOCK_MEMBERLIST, DEFAULT_VSN } from '../../../src/membership/index.js';
import { encodeMessage, encodeCompound, encodePacket, decodePacket } from '../../../src/membership/wire/codec.js';
import { type PacketMessage } from '../../../src/membership/wire/messages.js';
import { eventually } from '../../helpers/eventually.js';

const serfInstalled = spawnSync('serf', ['version'], { stdio: 'ignore' }).status === 0;
const skip = serfInstalled ? false : 'serf is not installed (run scripts/serf/start-serf.sh, or apt-get install serf)';

if (!serfInstalled && process.env['CI'] === 'true') {
  test('serf must be installed in CI', () => assert.fail('serf is not installed; CI runs the serf system tests'));
}

function startSerf(port: number, rpcPort: number): ChildProcess {
  return spawn('serf', ['agent', '-node', 'serf0', '-bind', `127.0.0.1:${port}`, '-advertise', `127.0.0.1:${port}`, '-rpc-addr', `127.0.0.1:${rpcPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test('a serf agent acks our ping and learns our alive', { skip, timeout: 60_000 }, async () => {
  // Below the kernel's ephemeral range (32768+), which earlier suites fill with TIME_WAIT sockets.
  const port = 20000 + 2 * Math.floor(Math.random() * 6000);
  const rpcPort = port + 1;
  const serf = startSerf(port, rpcPort);
  let log = '';
  serf.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  serf.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const sock = createSocket('udp4');
  try {
    try {
      await eventually(() => /Serf agent running|agent: Serf agent starting/i.test(log) || log.includes('memberlist'), { timeoutMs: 20_000 });
    } catch {
      assert.fail(`serf did not start on 127.0.0.1:${port} within 20 s; its output:\n${log}`);
    }
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const ourPort = sock.address().port;
    const acks: PacketMessage[] = [];
    const received: PacketMessage[] = [];
    const problems: string[] = [];
    sock.on('message', (buf) => {
      const r = decodePacket(new Uint8Array(buf), { dialect: STOCK_MEMBERLIST });
      if (!r.ok) problems.push(`${r.reason}: ${r.detail}`);
      else {
        problems.push(...r.value.dropped.map((d) => `${d.reason}: ${d.detail}`));
        received.push(...r.value.messages);
        acks.push(...r.value.messages.filter((m) => m.type === 'ack'));
      }
    });
    const alive = encodeMessage(
      { type: 'alive', incarnation: 1, node: 'ts-node', addr: Uint8Array.of(127, 0, 0, 1), port: ourPort, meta: new Uint8Array(0), vsn: Uint8Array.from(DEFAULT_VSN) },
      STOCK_MEMBERLIST,
    );
    const ping = encodeMessage(
      { type: 'ping', seqNo: 4242, node: 'serf0', sourceAddr: Uint8Array.of(127, 0, 0, 1), sourcePort: ourPort, sourceNode: 'ts-node' },
      STOCK_MEMBERLIST,
    );
    const [compound] = encodeCompound([ping, alive]);
    assert.ok(compound);
    await eventually(
      async () => {
        sock.send(encodePacket(compound, { compress: true, crc: false }), port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 200));
        return acks.some((a) => a.type === 'ack' && a.seqNo === 4242);
      },
      { timeoutMs: 10_000 },
    );
    await eventually(() => {
      const members = spawnSync('serf', ['members', '-rpc-addr', `127.0.0.1:${rpcPort}`], { encoding: 'utf8' }).stdout;
      assert.match(members, /ts-node\s+127\.0\.0\.1:\d+\s+(alive|failed|suspect)/);
    }, { timeoutMs: 10_000 });
    // serf probes us in turn: its packets (CRC-wrapped, since we advertise pmax 5) decode.
    await eventually(() => received.some((m) => m.type === 'ping' && m.node === 'ts-node'), { timeoutMs: 10_000 });
    assert.deepEqual(problems, []);
  } finally {
    sock.close();
    serf.kill('SIGKILL');
  }
});
