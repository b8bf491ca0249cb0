import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goSidecarDialect, Keyring } from '../../../src/membership/index.js';
import { encodeMessage, encodeCompound, encodePacket, decodePacket } from '../../../src/membership/wire/codec.js';
import { encodeStream, readStream, type StreamMessage } from '../../../src/membership/wire/push-pull.js';
import { lzwDecompress } from '../../../src/membership/wire/lzw.js';
import { type PacketMessage } from '../../../src/membership/wire/messages.js';
import { seededRandom } from './seeded-random.js';

const SIDECAR = goSidecarDialect('default');
const ip = Uint8Array.of(192, 168, 1, 20);
const keyring = new Keyring(new Uint8Array(32).fill(4));

const messages: PacketMessage[] = [
  { type: 'ping', seqNo: 77, node: 'host-b', sourceAddr: ip, sourcePort: 7946, sourceNode: 'host-a' },
  { type: 'indirectPing', seqNo: 78, target: ip, port: 7946, node: 'host-c', nack: true, sourceAddr: ip, sourcePort: 7946, sourceNode: 'host-a' },
  { type: 'ack', seqNo: 77, payload: new Uint8Array(0) },
  { type: 'alive', incarnation: 12, node: 'host-a', addr: ip, port: 7946, meta: new TextEncoder().encode('{"ClusterName":"default","State":"Running"}'), vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) },
  { type: 'suspect', incarnation: 3, node: 'host-d', from: 'host-a' },
  { type: 'dead', incarnation: 3, node: 'host-d', from: 'host-a' },
  { type: 'user', payload: new TextEncoder().encode('{"ID":"0123456789ab","Name":"web","Status":0}'.repeat(3)) },
];

function mutate(rng: ReturnType<typeof seededRandom>, input: Uint8Array): Uint8Array {
  const buf = Array.from(input);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(buf.length + 1);
    switch (rng.int(5)) {
      case 0: if (buf.length > 0) buf[Math.min(at, buf.length - 1)] = rng.int(256); break;
      case 1: buf.length = at; break;
      case 2: buf.splice(at, 0, ...rng.bytes(1 + rng.int(8))); break;
      case 3: buf.splice(at, 1 + rng.int(8)); break;
      default: if (buf.length > 0) buf[Math.min(at, buf.length - 1)] = [0x00, 0x7f, 0xff, 0xc1, 0xdb, 0xdf, 0xdd][rng.int(7)] ?? 0;
    }
  }
  return Uint8Array.from(buf);
}

test('fuzz: thousands of mutated packets never throw, and the originals round-trip', () => {
  const rng = seededRandom(20240601);
  const parts = messages.map((m) => encodeMessage(m, SIDECAR));
  const seeds = [
    ...parts,
    ...encodeCompound(parts),
    encodePacket(encodeCompound(parts)[0] as Uint8Array, { compress: true, crc: true }),
    encodePacket(encodeCompound(parts)[0] as Uint8Array, { compress: true, crc: false, keyring }),
  ];
  for (const seed of seeds.slice(0, -1)) {
    const r = decodePacket(seed, { dialect: SIDECAR });
    assert.ok(r.ok && r.value.dropped.length === 0 && r.value.messages.length > 0);
  }
  let decodedSome = 0;
  for (let i = 0; i < 4000; i++) {
    const seed = seeds[rng.int(seeds.length)] as Uint8Array;
    const bytes = mutate(rng, seed);
    const useKey = rng.int(4) === 0;
    const r = decodePacket(bytes, { dialect: SIDECAR, keyring: useKey ? keyring : null });
    if (r.ok) {
      decodedSome += r.value.messages.length;
      // Anything that did decode re-encodes and decodes to the same message.
      for (const m of r.value.messages) {
        const again = decodePacket(encodeMessage(m, SIDECAR), { dialect: SIDECAR });
        assert.ok(again.ok);
        assert.deepEqual(again.value.messages, [m]);
      }
    } else {
      assert.equal(typeof r.reason, 'string');
    }
  }
  assert.ok(decodedSome > 0, 'some mutations still decode (the fuzz reaches the message decoders)');
});

test('fuzz: mutated streams and LZW data never throw', () => {
  const rng = seededRandom(7);
  const pushPull: StreamMessage = {
    type: 'pushPull',
    join: false,
    nodes: messages.filter((m) => m.type === 'alive').map((a) => ({ name: a.node, addr: a.addr, port: a.port, meta: a.meta, incarnation: a.incarnation, state: 0, vsn: a.vsn })),
    userState: new TextEncoder().encode('{"Servers":{}}'),
  };
  const seeds = [
    encodeStream(pushPull, { dialect: SIDECAR, compress: false }),
    encodeStream(pushPull, { dialect: SIDECAR, compress: true }),
    encodeStream({ type: 'user', payload: Uint8Array.of(1, 2, 3) }, { dialect: SIDECAR, compress: false }),
  ];
  for (let i = 0; i < 3000; i++) {
    const bytes = mutate(rng, seeds[rng.int(seeds.length)] as Uint8Array);
    const r = readStream(bytes, { dialect: SIDECAR });
    assert.ok(['incomplete', 'done', 'failed'].includes(r.status));
    const l = lzwDecompress(bytes, 1 << 16);
    assert.equal(typeof l.ok, 'boolean');
  }
});
