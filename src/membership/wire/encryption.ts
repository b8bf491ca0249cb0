/**
 * memberlist's AES-GCM framing (security.go), for packets and streams.
 *
 * Encrypted payload: `[version 1 byte][nonce 12 bytes][ciphertext][GCM tag 16 bytes]`.
 * Version 0 pads the plaintext with PKCS#7 to 16 bytes before sealing (protocol version 1
 * peers); version 1 (protocol ≥ 2, the default) does not pad. The key size picks AES-128,
 * -192 or -256. Additional authenticated data: for a packet the label (empty without one);
 * for a stream `[encrypt type 10][uint32 BE length]` followed by the label.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';
import { MessageType } from './messages.js';
import { type WireResult, wireFail, wireOk } from './wire-result.js';

export type EncryptionVersion = 0 | 1;

const VERSION_SIZE = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;

/** Most bytes encryption adds (memberlist `encryptOverhead`): 45 for version 0, 29 for 1. */
export function encryptOverhead(vsn: EncryptionVersion): number {
  return vsn === 0 ? 45 : 29;
}

/** Size of the encrypted form of `plainLength` bytes (memberlist `encryptedLength`). */
export function encryptedLength(vsn: EncryptionVersion, plainLength: number): number {
  if (vsn >= 1) return VERSION_SIZE + NONCE_SIZE + plainLength + TAG_SIZE;
  return VERSION_SIZE + NONCE_SIZE + plainLength + (BLOCK_SIZE - (plainLength % BLOCK_SIZE)) + TAG_SIZE;
}

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

/**
 * Seals `plain` with `key`. `nonce` is for tests only (12 bytes); by default it is random,
 * as it must be: GCM with a repeated nonce leaks the key stream.
 */
export function encryptPayload(
  vsn: EncryptionVersion,
  key: Uint8Array,
  plain: Uint8Array,
  aad: Uint8Array,
  nonce: Uint8Array = randomBytes(NONCE_SIZE),
): Uint8Array {
  let src = plain;
  if (vsn === 0) {
    const pad = BLOCK_SIZE - (plain.length % BLOCK_SIZE);
    src = new Uint8Array(plain.length + pad);
    src.set(plain);
    src.fill(pad, plain.length);
  }
  const cipher = createCipheriv(algorithm(key), key, nonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(aad);
  const body = cipher.update(src);
  const final = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + body.length + final.length + TAG_SIZE);
  out[0] = vsn;
  out.set(nonce, VERSION_SIZE);
  out.set(body, VERSION_SIZE + NONCE_SIZE);
  out.set(final, VERSION_SIZE + NONCE_SIZE + body.length);
  out.set(tag, out.length - TAG_SIZE);
  return out;
}

function tryKey(key: Uint8Array, payload: Uint8Array, aad: Uint8Array): Uint8Array | null {
  try {
    const nonce = payload.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
    const decipher = createDecipheriv(algorithm(key), key, nonce, { authTagLength: TAG_SIZE });
    decipher.setAAD(aad);
    decipher.setAuthTag(payload.subarray(payload.length - TAG_SIZE));
    const a = decipher.update(payload.subarray(VERSION_SIZE + NONCE_SIZE, payload.length - TAG_SIZE));
    const b = decipher.final();
    const plain = new Uint8Array(a.length + b.length);
    plain.set(a);
    plain.set(b, a.length);
    return plain;
  } catch {
    return null;
  }
}

/** Opens a payload with the first key that authenticates it (memberlist `decryptPayload`). */
export function decryptPayload(keys: readonly Uint8Array[], payload: Uint8Array, aad: Uint8Array): WireResult<Uint8Array> {
  if (payload.length === 0) return wireFail('decryptFailed', 'cannot decrypt empty payload');
  const vsn = payload[0] ?? 0;
  if (vsn > 1) return wireFail('decryptFailed', `unsupported encryption version ${vsn}`);
  if (payload.length < encryptedLength(vsn as EncryptionVersion, 0)) {
    return wireFail('decryptFailed', `payload is too small to decrypt: ${payload.length}`);
  }
  for (const key of keys) {
    const plain = tryKey(key, payload, aad);
    if (plain === null) continue;
    if (vsn === 1) return wireOk(plain);
    const pad = plain[plain.length - 1] ?? 0;
    if (pad < 1 || pad > BLOCK_SIZE || pad > plain.length) return wireFail('decryptFailed', 'bad PKCS#7 padding');
    return wireOk(plain.subarray(0, plain.length - pad));
  }
  return wireFail('decryptFailed', 'no installed keys could decrypt the message');
}

const textEncoder = new TextEncoder();

/** Encrypts one UDP packet with the primary key; the AAD is the label. */
export function encryptPacket(keyring: Keyring, vsn: EncryptionVersion, plain: Uint8Array, label = ''): Uint8Array {
  return encryptPayload(vsn, keyring.primaryKey, plain, textEncoder.encode(label));
}

export function decryptPacket(keyring: Keyring, packet: Uint8Array, label = ''): WireResult<Uint8Array> {
  return decryptPayload(keyring.keys, packet, textEncoder.encode(label));
}

function streamAad(header: Uint8Array, label: string): Uint8Array {
  const l = textEncoder.encode(label);
  const aad = new Uint8Array(header.length + l.length);
  aad.set(header);
  aad.set(l, header.length);
  return aad;
}

/**
 * Encrypts a whole stream message (memberlist `encryptLocalState`):
 * `[10][uint32 BE encrypted length][encrypted payload]`.
 */
export function encryptStream(keyring: Keyring, vsn: EncryptionVersion, plain: Uint8Array, label = ''): Uint8Array {
  const header = new Uint8Array(5);
  header[0] = MessageType.encrypt;
  new DataView(header.buffer).setUint32(1, encryptedLength(vsn, plain.length));
  const sealed = encryptPayload(vsn, keyring.primaryKey, plain, streamAad(header, label));
  const out = new Uint8Array(5 + sealed.length);
  out.set(header);
  out.set(sealed, 5);
  return out;
}

/**
 * Opens the payload of an encrypted stream message; `header` is its first 5 bytes (type and
 * length), `payload` the `length` bytes after them.
 */
export function decryptStream(keyring: Keyring, header: Uint8Array, payload: Uint8Array, label = ''): WireResult<Uint8Array> {
  return decryptPayload(keyring.keys, payload, streamAad(header, label));
}
