/**
 * The kinds of setting values: each parser takes what a flag or variable gave and returns
 * the value or a reason naming what is expected (the loader adds the setting's name).
 */
import { isIP } from 'node:net';
import { splitHostPort } from '../core/index.js';
import { parseGoBool, parseGoDuration, parseGoInt, parseList, type Parsed } from './go-values.js';

/** What a flag gave: a string, the strings of a repeated flag, or a boolean switch. */
export type RawFlag = string | readonly string[] | boolean;

export function text(raw: RawFlag): string {
  return typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join(',') : String(raw);
}

export const asString = (raw: RawFlag): Parsed<string> => ({ ok: true, value: text(raw) });

export const asNonEmpty = (raw: RawFlag): Parsed<string> =>
  text(raw).trim() === '' ? { ok: false, reason: 'must not be empty' } : { ok: true, value: text(raw).trim() };

export const asList = (raw: RawFlag): Parsed<string[]> => ({
  ok: true,
  value: Array.isArray(raw) ? raw.flatMap((r: string) => parseList(r)) : parseList(text(raw)),
});

export function asInt(min: number, max: number) {
  return (raw: RawFlag): Parsed<number> => {
    const p = parseGoInt(text(raw).trim());
    if (!p.ok) return p;
    if (p.value < min || p.value > max) return { ok: false, reason: `must be between ${min} and ${max}` };
    return p;
  };
}

export const asPort = asInt(0, 65535);

export function asDuration(raw: RawFlag): Parsed<number> {
  const p = parseGoDuration(text(raw).trim());
  if (p.ok && p.value < 0) return { ok: false, reason: 'must not be negative' };
  return p;
}

export function asBool(raw: RawFlag): Parsed<boolean> {
  return typeof raw === 'boolean' ? { ok: true, value: raw } : parseGoBool(text(raw));
}

export function asIp(raw: RawFlag): Parsed<string> {
  const value = text(raw).trim();
  return isIP(value) === 4 ? { ok: true, value } : { ok: false, reason: 'expected an IPv4 address such as 10.0.0.5' };
}

export function asOptionalIp(raw: RawFlag): Parsed<string | null> {
  return text(raw).trim() === '' ? { ok: true, value: null } : asIp(raw);
}

export function asEnum<T extends string>(values: readonly T[], emptyAs?: T) {
  return (raw: RawFlag): Parsed<T> => {
    const value = text(raw).trim();
    if (value === '' && emptyAs !== undefined) return { ok: true, value: emptyAs };
    return (values as readonly string[]).includes(value)
      ? { ok: true, value: value as T }
      : { ok: false, reason: `expected one of: ${values.join(', ')}` };
  };
}

/** Key sizes AES-GCM takes (AES-128, -192, -256), in bytes. */
const KEY_SIZES_BYTES: readonly number[] = [16, 24, 32];

/** What is wrong with a key, for messages that name its place and never its value. */
export const BAD_KEY_REASON = 'is not base64 of 16, 24 or 32 bytes (make one with: sidecar keygen)';

/** One gossip encryption key: standard base64 of 16, 24 or 32 bytes; null when it is not. */
export function decodeKey(text: string): Uint8Array | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) return null;
  const bytes = Buffer.from(trimmed, 'base64');
  return KEY_SIZES_BYTES.includes(bytes.length) ? new Uint8Array(bytes) : null;
}

/** Base64 keys of 16, 24 or 32 bytes; errors name the entry's position, never its value. */
export function asKeys(raw: RawFlag): Parsed<Uint8Array[]> {
  const list = asList(raw);
  if (!list.ok) return list;
  const keys: Uint8Array[] = [];
  for (const [i, text] of list.value.entries()) {
    const key = decodeKey(text);
    if (key === null) return { ok: false, reason: `entry ${i + 1} ${BAD_KEY_REASON}` };
    keys.push(key);
  }
  return { ok: true, value: keys };
}

/** Seeds, `host` or `host:port` (a port from 1 to 65535); errors name the seed. */
export function asSeeds(raw: RawFlag): Parsed<string[]> {
  const list = asList(raw);
  if (!list.ok) return list;
  const bad = list.value.find((seed) => splitHostPort(seed) === undefined);
  if (bad !== undefined) return { ok: false, reason: `seed ${JSON.stringify(bad)} is not host or host:port with a port from 1 to 65535` };
  return list;
}
