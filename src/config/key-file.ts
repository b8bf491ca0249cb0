/**
 * The gossip key file (`--encrypt-key-file` / `SIDECAR_ENCRYPT_KEY_FILE`): one base64 key per
 * line, the first encrypts and all decrypt (blank lines and `#` comments are skipped). The
 * file is read once, bounded, and nothing from it is ever put in a message: a bad line is
 * named by its number.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BAD_KEY_REASON, decodeKey } from './value-kinds.js';

/** Largest key file read, in bytes. Default 64 KiB: about 1,400 keys of 32 bytes, far more than a rotation needs. */
export const KEY_FILE_MAX_BYTES = 64 * 1024;

export type KeyFileResult =
  | { readonly ok: true; readonly keys: Uint8Array[]; readonly warnings: string[] }
  | { readonly ok: false; readonly problem: string };

/** Reads and checks the key file at `path`; `source` names where the path came from in messages. */
export function readKeyFile(path: string, source: string): KeyFileResult {
  const where = `${source} (${path})`;
  let text: string;
  const warnings: string[] = [];
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, problem: `${where} cannot be opened${typeof code === 'string' ? ` (${code})` : ''}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, problem: `${where} is not a regular file` };
    if (st.size > KEY_FILE_MAX_BYTES) return { ok: false, problem: `${where} is larger than ${KEY_FILE_MAX_BYTES} bytes; it should hold a few keys, one per line` };
    if ((st.mode & 0o077) !== 0) {
      warnings.push(`${where} can be read or written by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); anyone who reads it can forge gossip: chmod 600 ${path}`);
    }
    const buf = Buffer.alloc(KEY_FILE_MAX_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    if (length > KEY_FILE_MAX_BYTES) return { ok: false, problem: `${where} is larger than ${KEY_FILE_MAX_BYTES} bytes` };
    text = buf.toString('utf8', 0, length);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, problem: `${where} cannot be read${typeof code === 'string' ? ` (${code})` : ''}` };
  } finally {
    closeSync(fd);
  }
  const keys: Uint8Array[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const key = decodeKey(trimmed);
    if (key === null) return { ok: false, problem: `${where} line ${i + 1} ${BAD_KEY_REASON}` };
    keys.push(key);
  }
  if (keys.length === 0) return { ok: false, problem: `${where} holds no key (make one with: sidecar keygen > ${path})` };
  return { ok: true, keys, warnings };
}
