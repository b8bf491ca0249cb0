import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STOCK_MEMBERLIST, goSidecarDialect, Keyring } from '../../../src/membership/index.js';
import {
  encodeMessage,
  decodeMessage,
  encodeCompound,
  decodeCompound,
  addCrc,
  compressMessage,
  encodePacket,
  decodePacket,
} from '../../../src/membership/wire/codec.js';
import { MessageType, type PacketMessage } from '../../../src/membership/wire/messages.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SIDECAR = goSidecarDialect('default');
const ip = Uint8Array.of(127, 0, 0, 1);

const samples: PacketMessage[] = [
  { type: 'ping', seqNo: 7, node: 'n2', sourceAddr: ip, sourcePort: 7946, sourceNode: 'n1' },
  { type: 'ping', seqNo: 8, node: 'n2', sourceAddr: new Uint8Array(0), sourcePort: 0, sourceNode: '' },
  { type: 'indirectPing', seqNo: 2 ** 32 - 1, target: ip, port: 8000, node: 'n3', nack: true, sourceAddr: ip, sourcePort: 7946, sourceNode: 'n1' },
  { type: 'ack', seqNo: 7, payload: new Uint8Array(0) },
  { type: 'ack', seqNo: 9, payload: Uint8Array.of(1, 2, 3) },
  { type: 'nack', seqNo: 3 },
  { type: 'suspect', incarnation: 4, node: 'n2', from: 'n1' },
  { type: 'alive', incarnation: 1, node: 'n1', addr: ip, port: 7946, meta: new TextEncoder().encode('{"ClusterName":"default","State":"Running"}'), vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) },
  { type: 'dead', incarnation: 5, node: 'n2', from: 'n2' },
  { type: 'user', payload: new TextEncoder().encode('{"ID":"abc"}') },
];

test('every packet message round-trips in both dialects', () => {
  for (const dialect of [SIDECAR, STOCK_MEMBERLIST]) {
    for (const msg of samples) {
      const decoded = decodeMessage(encodeMessage(msg, dialect), dialect);
      assert.ok(decoded.ok, `${msg.type}: ${decoded.ok ? '' : decoded.detail}`);
      assert.deepEqual(decoded.value, msg);
    }
  }
});

test('alive in the Go Sidecar dialect is byte-exact: sorted keys, raw bytes, ClusterName', () => {
  const alive = { type: 'alive', incarnation: 1, node: 'n1', addr: ip, port: 7946, meta: new Uint8Array(0), vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) } as const;
  assert.equal(
    hex(encodeMessage(alive, SIDECAR)),
    '04' + '87' +
      'a441646472' + 'a47f000001' +
      'ab436c75737465724e616d65' + 'a764656661756c74' +
      'ab496e6361726e6174696f6e' + '01' +
      'a44d657461' + 'c0' +
      'a44e6f6465' + 'a26e31' +
      'a4506f7274' + 'cd1f0a' +
      'a356736e' + 'a6010502000000',
  );
  // Stock memberlist: the same without ClusterName (6 keys).
  assert.equal(hex(encodeMessage(alive, STOCK_MEMBERLIST)).slice(0, 4), '0486');
});

test('ping omits empty Source* fields (omitempty) and carries no ClusterName in either dialect', () => {
  const ping = encodeMessage({ type: 'ping', seqNo: 1, node: 'b', sourceAddr: new Uint8Array(0), sourcePort: 0, sourceNode: '' }, SIDECAR);
  assert.equal(hex(ping), '00' + '82' + 'a44e6f6465' + 'a162' + 'a55365714e6f' + '01');
});

test('the Go Sidecar dialect rejects alive/suspect/dead from another or no cluster; stock ignores the name', () => {
  const other = goSidecarDialect('staging');
  for (const msg of samples.filter((m) => m.type === 'alive' || m.type === 'suspect' || m.type === 'dead')) {
    const fromOther = decodeMessage(encodeMessage(msg, other), SIDECAR);
    assert.equal(!fromOther.ok && fromOther.reason, 'clusterRejected');
    const fromStock = decodeMessage(encodeMessage(msg, STOCK_MEMBERLIST), SIDECAR);
    assert.equal(!fromStock.ok && fromStock.reason, 'clusterRejected');
    assert.ok(decodeMessage(encodeMessage(msg, SIDECAR), STOCK_MEMBERLIST).ok);
  }
  // Probes carry no cluster name, so they pass between clusters (as in the fork).
  assert.ok(decodeMessage(encodeMessage(samples[0] as PacketMessage, other), SIDECAR).ok);
});

test('compound: several parts, 255 per message, truncated parts counted', () => {
  const parts = samples.map((m) => encodeMessage(m, SIDECAR));
  const [compound] = encodeCompound(parts);
  assert.ok(compound);
  assert.equal(compound[0], MessageType.compound);
  assert.equal(compound[1], parts.length);
  const split = decodeCompound(compound.subarray(1));
  assert.ok(split.ok);
  assert.deepEqual(split.value.parts.map(hex), parts.map(hex));
  const cut = decodeCompound(compound.subarray(1, compound.length - 3));
  assert.ok(cut.ok);
  assert.equal(cut.value.truncated, 1);
  assert.equal(encodeCompound(Array.from({ length: 600 }, () => Uint8Array.of(8))).length, 3);
  const noLengths = decodeCompound(Uint8Array.of(3, 0));
  assert.equal(!noLengths.ok && noLengths.reason, 'truncated');

  const packet = decodePacket(compound, { dialect: SIDECAR });
  assert.ok(packet.ok);
  assert.deepEqual(packet.value.messages, samples);
});

test('CRC: a good checksum passes, a flipped bit is dropped as badCrc', () => {
  const msg = encodeMessage(samples[0] as PacketMessage, SIDECAR);
  const withCrc = addCrc(msg);
  assert.equal(withCrc[0], MessageType.hasCrc);
  assert.ok(decodePacket(withCrc, { dialect: SIDECAR }).ok);
  const bad = withCrc.slice();
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
  const r = decodePacket(bad, { dialect: SIDECAR });
  assert.equal(!r.ok && r.reason, 'badCrc');
  // A known CRC-32 (IEEE): crc32("123456789") = cbf43926.
  assert.equal(hex(addCrc(new TextEncoder().encode('123456789')).subarray(1, 5)), 'cbf43926');
});

test('compression is used only when smaller and decodes back', () => {
  const parts = Array.from({ length: 20 }, (_, i) => encodeMessage({ type: 'user', payload: new TextEncoder().encode(`{"ID":"svc${i}","Status":0}`) }, SIDECAR));
  const [compound] = encodeCompound(parts);
  assert.ok(compound);
  const packet = encodePacket(compound, { compress: true, crc: false });
  assert.equal(packet[0], MessageType.compress);
  assert.ok(packet.length < compound.length);
  const decoded = decodePacket(packet, { dialect: SIDECAR });
  assert.ok(decoded.ok);
  assert.equal(decoded.value.messages.length, 20);
  const tiny = encodeMessage({ type: 'nack', seqNo: 1 }, SIDECAR);
  assert.deepEqual(encodePacket(tiny, { compress: true, crc: false }), tiny);
  assert.ok(compressMessage(tiny).length > tiny.length);
});

test('packet pipeline: compress, CRC, encrypt and label all undo', () => {
  const keyring = new Keyring(new Uint8Array(32).fill(1));
  const [compound] = encodeCompound(samples.map((m) => encodeMessage(m, SIDECAR)));
  assert.ok(compound);
  const packet = encodePacket(compound, { compress: true, crc: true, keyring, label: 'prod' });
  assert.equal(packet[0], MessageType.hasLabel);
  const decoded = decodePacket(packet, { dialect: SIDECAR, keyring, label: 'prod' });
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value.messages, samples);
  const wrongLabel = decodePacket(packet, { dialect: SIDECAR, keyring, label: 'dev' });
  assert.equal(!wrongLabel.ok && wrongLabel.reason, 'badLabel');
  const noKey = decodePacket(packet, { dialect: SIDECAR, label: 'prod' });
  assert.ok(noKey.ok && noKey.value.messages.length === 0 && noKey.value.dropped.length > 0);
  // A plaintext packet at a node with a key is told apart from one sealed with another key.
  const plaintext = decodePacket(compound, { dialect: SIDECAR, keyring });
  assert.equal(!plaintext.ok && plaintext.reason, 'encryptionMismatch');
  assert.ok(decodePacket(compound, { dialect: SIDECAR, keyring, verifyIncoming: false }).ok);
});

test('bad parts of a compound are dropped one by one; unknown types are reported', () => {
  const good = encodeMessage({ type: 'nack', seqNo: 1 }, SIDECAR);
  const [compound] = encodeCompound([good, Uint8Array.of(0x63), Uint8Array.of(MessageType.alive, 0x93), new Uint8Array(0)]);
  assert.ok(compound);
  const decoded = decodePacket(compound, { dialect: SIDECAR });
  assert.ok(decoded.ok);
  assert.equal(decoded.value.messages.length, 1);
  assert.deepEqual(decoded.value.dropped.map((d) => d.reason), ['unknownType', 'malformed', 'truncated']);
});
