/**
 * The gossip encryption keys (memberlist keyring.go): one primary key that encrypts, plus
 * extra keys that are tried when decrypting, so keys can be rotated without downtime (install
 * the new key everywhere, make it primary everywhere, then remove the old one).
 */
import { ErrorCode, SidecarError } from '../../core/index.js';

/** AES-128, AES-192 or AES-256 (memberlist `ValidateKey`). */
export const VALID_KEY_SIZES_BYTES: readonly number[] = [16, 24, 32];

function validateKey(key: Uint8Array): void {
  if (!VALID_KEY_SIZES_BYTES.includes(key.length)) {
    throw new SidecarError(ErrorCode.CONFIG_INVALID, `encryption key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

/** Decodes one serf/memberlist `-encrypt` key (standard base64). Throws CONFIG_INVALID. */
export function decodeKeyBase64(text: string): Uint8Array {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new SidecarError(ErrorCode.CONFIG_INVALID, 'encryption key is not valid base64');
  }
  const key = new Uint8Array(Buffer.from(trimmed, 'base64'));
  validateKey(key);
  return key;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class Keyring {
  /** keys[0] is the primary key. */
  private list: Uint8Array[];

  /** `primary` encrypts; `extra` keys only decrypt. Throws CONFIG_INVALID on a bad size. */
  constructor(primary: Uint8Array, extra: readonly Uint8Array[] = []) {
    validateKey(primary);
    this.list = [primary.slice()];
    for (const key of extra) this.addKey(key);
  }

  /** A keyring from base64 keys, the first one primary (as `--encrypt-key` repeated). */
  static fromBase64(keys: readonly string[]): Keyring {
    const [primary, ...extra] = keys.map(decodeKeyBase64);
    if (primary === undefined) throw new SidecarError(ErrorCode.CONFIG_INVALID, 'no encryption key given');
    return new Keyring(primary, extra);
  }

  get primaryKey(): Uint8Array {
    return this.list[0] as Uint8Array;
  }

  /** All keys, primary first (the order decryption tries them in). */
  get keys(): readonly Uint8Array[] {
    return this.list;
  }

  /** Installs a decrypt key (no-op when already installed). */
  addKey(key: Uint8Array): void {
    validateKey(key);
    if (!this.list.some((k) => sameKey(k, key))) this.list.push(key.slice());
  }

  /** Makes an installed key the primary. Returns false when the key is not installed. */
  useKey(key: Uint8Array): boolean {
    const idx = this.list.findIndex((k) => sameKey(k, key));
    if (idx < 0) return false;
    const [chosen] = this.list.splice(idx, 1);
    this.list.unshift(chosen as Uint8Array);
    return true;
  }

  /** Removes a non-primary key. Returns false for the primary key (memberlist refuses too). */
  removeKey(key: Uint8Array): boolean {
    if (sameKey(this.primaryKey, key)) return false;
    this.list = this.list.filter((k) => !sameKey(k, key));
    return true;
  }
}
