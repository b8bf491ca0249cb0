/**
 * Issue #11 rows 3, 7 and 11 against real agents with encryption on (a key file):
 * - row 3: forged plaintext alive (5,000 nodes), dead about a live peer at 5/s, and a forged
 *   plaintext push/pull change nothing, and the victim names the bad peer at warn, once;
 * - row 11: a node with the wrong key that tries to join is reported at warn on both sides;
 * - row 7: a bad key list names the entry, never a key; no key is on the command line or in
 *   the logs of an agent started with --encrypt-key-file.
 * Packets are built by test/helpers/gossip-forge.ts, not by the agent's codec.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { eventually } from '../../helpers/eventually.js';
import { runAgentToExit } from '../../helpers/agent-process.js';
import { T, alive, compound, concatBytes, dead, msgpack } from '../../helpers/gossip-forge.js';
import { LEVEL, logsMatching, memberStates, serviceInstances, startGossipAgent, type GossipAgent } from './gossip-harness.js';

const KEY = randomBytes(32).toString('base64');
const WRONG_KEY = randomBytes(32).toString('base64');
/** The attacker sends from its own loopback address, so its warnings are told apart from the wrong-key node's. */
const ATTACKER = '127.0.0.2';

let a: GossipAgent;
let b: GossipAgent;

before(async () => {
  a = await startGossipAgent({ name: 'victim', keys: [KEY], services: ['web'] });
  b = await startGossipAgent({ name: 'peer', keys: [KEY], seeds: [a.gossipPort], services: ['api'] });
  await eventually(async () => assert.ok((await serviceInstances(a.api)).includes('peer/api:0')), { timeoutMs: 20_000, intervalMs: 100 });
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

/** No run of 8 characters of a key appears in `text`. */
function assertNoKeyIn(text: string, ...keys: string[]): void {
  for (const key of keys) {
    for (let i = 0; i + 8 <= key.length; i++) assert.ok(!text.includes(key.slice(i, i + 8)), 'part of a key appears');
  }
}

test('row 3: forged plaintext alive, dead and push/pull change nothing at an encrypting agent; the victim warns once', { timeout: 60_000 }, async (t) => {
  const membersBefore = await memberStates(a.api);
  const servicesBefore = await serviceInstances(a.api);
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, ATTACKER, resolve));
  const send = (packet: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => udp.send(packet, a.gossipPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  // 5,000 forged members, 255 per datagram.
  const forged = Array.from({ length: 5000 }, (_, i) => alive(`forged-${i}`, [10, 66, i >> 8, i & 0xff], 7946, 1, 'default'));
  let datagrams = 0;
  for (let i = 0; i < forged.length; i += 255) {
    await send(compound(forged.slice(i, i + 255)));
    datagrams++;
  }
  // "peer is dead", 5/s for 3 s, with incarnations above anything it has used.
  for (let i = 0; i < 15; i++) {
    await send(dead('peer', 'victim', 1000 + i, 'default'));
    datagrams++;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  udp.close();
  // A plaintext push/pull over TCP claiming the forged members.
  const pushPull = concatBytes(
    Uint8Array.of(T.pushPull),
    msgpack({ ClusterName: 'default', Join: false, Nodes: 1, UserStateLen: 0 }),
    msgpack({ Addr: Uint8Array.of(10, 66, 0, 1), Incarnation: 1, Meta: new Uint8Array(0), Name: 'forged-tcp', Port: 7946, State: 0, Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) }),
  );
  const closed = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: a.gossipPort, localAddress: ATTACKER }, () => socket.write(pushPull));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(true));
    setTimeout(() => (socket.destroy(), resolve(false)), 5000).unref();
  });
  assert.ok(closed, 'the forged push/pull was not refused');
  // A real peer's state still arrives (so the view below is current), and the forgeries never did.
  await eventually(async () => assert.equal((await memberStates(b.api)).get('victim'), 'alive'), { timeoutMs: 5000 });
  const membersAfter = await memberStates(a.api);
  const servicesAfter = await serviceInstances(a.api);
  const warnings = logsMatching(a.agent, /rejected gossip (packet|stream) from 127\.0\.0\.2/, LEVEL.warn);
  t.diagnostic(
    `${datagrams} forged datagrams (5,000 alive, 15 dead) + 1 push/pull: members ${membersBefore.size} → ${membersAfter.size}, ` +
      `services ${servicesBefore.length} → ${servicesAfter.length}; victim warnings about ${ATTACKER}: ${warnings.length}`,
  );
  assert.deepEqual(membersAfter, membersBefore);
  assert.equal(membersAfter.get('peer'), 'alive');
  assert.deepEqual(servicesAfter, servicesBefore);
  // One warning per peer address per minute, for packets and for streams.
  assert.equal(warnings.filter((w) => /packet/.test(String(w['msg']))).length, 1);
  assert.equal(warnings.filter((w) => /stream/.test(String(w['msg']))).length, 1);
  assert.match(String(warnings[0]?.['msg']), /encrypt/);
});

test('row 11: a node with the wrong key is reported at warn by the node it tries to join and by itself', { timeout: 60_000 }, async (t) => {
  const intruder = await startGossipAgent({ name: 'wrong-key', keys: [WRONG_KEY], seeds: [a.gossipPort] });
  try {
    const victimSide = await eventually(() => {
      const w = logsMatching(a.agent, /rejected gossip stream from 127\.0\.0\.1/, LEVEL.warn);
      assert.ok(w.length > 0);
      return w;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    const joinerSide = await eventually(() => {
      const w = logsMatching(intruder.agent, /could not join any seed/, LEVEL.warn);
      assert.ok(w.length > 0);
      return w;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    t.diagnostic(`victim: ${String(victimSide[0]?.['msg'])}`);
    t.diagnostic(`joiner: ${JSON.stringify(joinerSide[0]?.['errors'])}`);
    assert.match(String(victimSide[0]?.['msg']), /none of our encryption keys/);
    assert.match(JSON.stringify(joinerSide[0]?.['errors']), /encryption keys/);
    assert.equal((await memberStates(a.api)).has('wrong-key'), false);
  } finally {
    await intruder.stop();
  }
});

test('row 7: a bad key list names the entry and shows no part of either key', { timeout: 30_000 }, async () => {
  const run = await runAgentToExit(['--http-port', '0', '--bind-port', '0', '--discover', 'static'], { SIDECAR_ENCRYPT_KEYS: `${KEY},notbase64!!` });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /SIDECAR_ENCRYPT_KEYS entry 2 is not base64 of 16, 24 or 32 bytes/);
  assertNoKeyIn(run.stdout + run.stderr, KEY, 'notbase64!!');
});

test('row 7: an agent started with --encrypt-key-file has no key on its command line or in its logs', () => {
  const cmdline = readFileSync(`/proc/${a.pid}/cmdline`, 'utf8');
  assert.match(cmdline, /--encrypt-key-file/);
  assertNoKeyIn(cmdline, KEY);
  assertNoKeyIn(JSON.stringify(a.agent.logs) + a.agent.stderr(), KEY);
  // Encrypted, from a file of mode 600: no warning about plaintext, the command line or the file.
  assert.deepEqual(logsMatching(a.agent, /NOT ENCRYPTED|cmdline|group or others/), []);
});
