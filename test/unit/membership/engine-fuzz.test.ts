/**
 * Hostile input against a running node: random, truncated, oversized, wrong-key and
 * other-cluster packets and streams are counted and dropped; nothing throws and the member
 * table does not change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_VSN, Keyring, goSidecarDialect, seededRandom } from '../../../src/membership/index.js';
import { encodeMessage, encodePacket } from '../../../src/membership/wire/codec.js';
import { encryptPacket } from '../../../src/membership/wire/encryption.js';
import { type PacketMessage } from '../../../src/membership/wire/messages.js';
import { MemoryCluster } from '../../helpers/memory-cluster.js';

function tableOf(c: MemoryCluster, i: number): string {
  return JSON.stringify(c.nodes[i]!.list.members().map((m) => [m.name, m.state, m.incarnation]));
}

describe('a node under hostile packets', () => {
  it('drops and counts them, and its member table stays the same', async () => {
    const c = new MemoryCluster();
    try {
      const a = await c.add('a');
      const b = await c.add('b');
      await c.join(b, a);
      await c.run(2000);
      const before = tableOf(c, 0);
      const attacker = c.network.createTransport({ host: '10.9.9.9', port: 7946 });
      await attacker.start();
      const to = { host: a.host, port: 7946 };
      const random = seededRandom(7);
      const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
      const valid: PacketMessage[] = [
        { type: 'alive', incarnation: 99, node: 'mallory', addr: Uint8Array.of(10, 9, 9, 9), port: 7946, meta: new Uint8Array(0), vsn: Uint8Array.from(DEFAULT_VSN) },
        { type: 'dead', incarnation: 99, node: 'b', from: 'mallory' },
        { type: 'suspect', incarnation: 99, node: 'b', from: 'mallory' },
      ];
      const otherCluster = valid.map((m) => encodePacket(encodeMessage(m, goSidecarDialect('other')), { compress: true, crc: true }));
      const ours = valid.map((m) => encodePacket(encodeMessage(m, goSidecarDialect('default')), { compress: false, crc: true }));
      const wrongKey = new Keyring(new Uint8Array(16).fill(1));
      let sent = 0;
      const send = (p: Uint8Array): void => {
        attacker.sendPacket(to, p);
        sent++;
      };
      for (let i = 0; i < 2000; i++) send(bytes(1 + Math.floor(random() * 1500)));
      for (const p of ours) for (let cut = 1; cut < p.length; cut++) send(p.subarray(0, cut));
      for (const p of otherCluster) send(p);
      for (const p of ours) send(encryptPacket(wrongKey, 1, p));
      for (const p of ours) {
        const flipped = p.slice();
        flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 0xff; // the CRC no longer matches
        send(flipped);
      }
      send(bytes(70_000));
      // Streams: junk, a truncated push/pull header, a huge announced length.
      for (const junk of [bytes(100), Uint8Array.of(6, 0x85), Uint8Array.of(8, 0x81, 0xaa, 0x55, 0x73, 0x65, 0x72, 0x4d, 0x73, 0x67, 0x4c, 0x65, 0x6e, 0xce, 0x7f, 0xff, 0xff, 0xff)]) {
        const dialing = attacker.dialStream(to, 1000);
        await c.run(10);
        const stream = await dialing;
        stream.write(junk);
        stream.end();
      }
      await c.run(3000);
      assert.equal(tableOf(c, 0), before, 'member table unchanged');
      const dropped = Object.values(a.list.stats().dropped).reduce((x, y) => x + y, 0);
      assert.ok(dropped >= sent * 0.9, `dropped ${dropped} of ${sent}: ${JSON.stringify(a.list.stats().dropped)}`);
      assert.ok((a.list.stats().dropped['clusterRejected'] ?? 0) >= otherCluster.length);
      assert.ok((a.list.stats().dropped['badCrc'] ?? 0) >= ours.length);
      await attacker.close();
    } finally {
      await c.close();
    }
  });
});
