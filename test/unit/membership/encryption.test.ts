import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { Keyring } from '../../../src/membership/index.js';
import { decodeKeyBase64 } from '../../../src/membership/wire/keyring.js';
import {
  encryptPayload,
  decryptPayload,
  encryptPacket,
  decryptPacket,
  encryptStream,
  decryptStream,
  encryptedLength,
  encryptOverhead,
} from '../../../src/membership/wire/encryption.js';
import { MessageType } from '../../../src/membership/wire/messages.js';
import { ErrorCode, hasCode } from '../../../src/core/index.js';

const plain = new TextEncoder().encode('memberlist gossip payload');
const key = (size: number, fill: number): Uint8Array => new Uint8Array(size).fill(fill);

test('each key size (AES-128/192/256) round-trips packets, versions 0 and 1', () => {
  for (const size of [16, 24, 32]) {
    const ring = new Keyring(key(size, 3));
    for (const vsn of [0, 1] as const) {
      const sealed = encryptPacket(ring, vsn, plain);
      assert.equal(sealed[0], vsn);
      assert.equal(sealed.length, encryptedLength(vsn, plain.length));
      assert.ok(sealed.length - plain.length <= encryptOverhead(vsn));
      const opened = decryptPacket(ring, sealed);
      assert.ok(opened.ok);
      assert.deepEqual(opened.value, plain);
    }
  }
});

test('layout: [version][12-byte nonce][AES-GCM ciphertext][16-byte tag], AAD = label', () => {
  const k = key(16, 9);
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => i);
  const aad = new TextEncoder().encode('label');
  const sealed = encryptPayload(1, k, plain, aad, nonce);
  assert.deepEqual(sealed.subarray(1, 13), nonce);
  // Open it independently with node:crypto to pin the layout.
  const d = createDecipheriv('aes-128-gcm', k, nonce);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]);
  assert.equal(out.toString(), 'memberlist gossip payload');
  // Version 0 pads with PKCS#7 to a 16-byte block: 25 bytes → 32.
  assert.equal(encryptPayload(0, k, plain, aad, nonce).length, 1 + 12 + 32 + 16);
});

test('rotation: a secondary key decrypts, useKey switches the primary, removeKey keeps the primary', () => {
  const oldKey = key(32, 1);
  const newKey = key(32, 2);
  const sender = new Keyring(oldKey);
  const receiver = new Keyring(newKey, [oldKey]);
  const opened = decryptPacket(receiver, encryptPacket(sender, 1, plain));
  assert.ok(opened.ok);
  sender.addKey(newKey);
  assert.ok(sender.useKey(newKey));
  assert.deepEqual(sender.primaryKey, newKey);
  assert.equal(sender.removeKey(newKey), false);
  assert.ok(sender.removeKey(oldKey));
  assert.equal(sender.keys.length, 1);
  assert.equal(sender.useKey(key(16, 7)), false);
});

test('a wrong key, a wrong label, a tampered byte, an unknown version and short input fail as decryptFailed', () => {
  const ring = new Keyring(key(16, 5));
  const sealed = encryptPacket(ring, 1, plain, 'a');
  const failures = [
    decryptPacket(new Keyring(key(16, 6)), sealed, 'a'),
    decryptPacket(ring, sealed, 'b'),
    decryptPacket(ring, Uint8Array.from(sealed, (b, i) => (i === 20 ? b ^ 0xff : b)), 'a'),
    decryptPacket(ring, Uint8Array.from(sealed, (b, i) => (i === 0 ? 2 : b)), 'a'),
    decryptPacket(ring, sealed.subarray(0, 28), 'a'),
    decryptPayload(ring.keys, new Uint8Array(0), new Uint8Array(0)),
  ];
  for (const f of failures) assert.equal(!f.ok && f.reason, 'decryptFailed');
});

test('streams: [10][uint32 BE length] then the payload, the header authenticated', () => {
  const ring = new Keyring(key(24, 4));
  const sealed = encryptStream(ring, 1, plain, 'lbl');
  assert.equal(sealed[0], MessageType.encrypt);
  const length = new DataView(sealed.buffer).getUint32(1);
  assert.equal(length, encryptedLength(1, plain.length));
  assert.equal(sealed.length, 5 + length);
  const opened = decryptStream(ring, sealed.subarray(0, 5), sealed.subarray(5), 'lbl');
  assert.ok(opened.ok);
  assert.deepEqual(opened.value, plain);
  const header = sealed.slice(0, 5);
  header[4] = (header[4] ?? 0) ^ 1;
  assert.equal(decryptStream(ring, header, sealed.subarray(5), 'lbl').ok, false);
});

test('keys are base64 like serf -encrypt; bad keys are configuration errors', () => {
  const b64 = Buffer.from(key(32, 7)).toString('base64');
  const ring = Keyring.fromBase64([b64, Buffer.from(key(16, 8)).toString('base64')]);
  assert.deepEqual(ring.primaryKey, key(32, 7));
  assert.equal(ring.keys.length, 2);
  assert.deepEqual(decodeKeyBase64('cg8StVXbQJ0gPvMd9o7yrg=='), Uint8Array.from(Buffer.from('cg8StVXbQJ0gPvMd9o7yrg==', 'base64')));
  for (const bad of ['not base64!', Buffer.from(key(20, 1)).toString('base64'), '']) {
    assert.throws(() => decodeKeyBase64(bad), (e) => hasCode(e, ErrorCode.CONFIG_INVALID));
  }
  assert.throws(() => Keyring.fromBase64([]), (e) => hasCode(e, ErrorCode.CONFIG_INVALID));
  assert.throws(() => new Keyring(key(8, 1)), (e) => hasCode(e, ErrorCode.CONFIG_INVALID));
});
