/**
 * The gossip key file (`--encrypt-key-file` / `SIDECAR_ENCRYPT_KEY_FILE`): one base64 key per
 * line, the first encrypts and all decrypt (blank lines and `#` comments are skipped). The
 * file is read once, bounded, and nothing from it is ever put in a message: a bad line is
 * named by its number.
 */
import { readBoundedFile } from '../core/index.js';
import { BAD_KEY_REASON, decodeKey } from './value-kinds.js';

/** Largest key file read, in bytes. Default 64 KiB: about 1,400 keys of 32 bytes, far more than a rotation needs. */
export const KEY_FILE_MAX_BYTES = 64 * 1024;

export type KeyFileResult =
  | { readonly ok: true; readonly keys: Uint8Array[]; readonly warnings: string[] }
  | { readonly ok: false; readonly problem: string };

/** Reads and checks the key file at `path`; `source` names where the path came from in messages. */
export function readKeyFile(path: string, source: string): KeyFileResult {
  const where = `${source} (${path})`;
  const warnings: string[] = [];
  const file = readBoundedFile(path, KEY_FILE_MAX_BYTES);
  if (!file.ok) {
    const code = file.errno === undefined ? '' : ` (${file.errno})`;
    switch (file.problem) {
      case 'open':
        return { ok: false, problem: `${where} cannot be opened${code}` };
      case 'not-file':
        return { ok: false, problem: `${where} is not a regular file` };
      case 'too-big':
        return { ok: false, problem: `${where} is larger than ${KEY_FILE_MAX_BYTES} bytes; it should hold a few keys, one per line` };
      case 'read':
        return { ok: false, problem: `${where} cannot be read${code}` };
    }
  }
  if ((file.mode & 0o077) !== 0) {
    warnings.push(`${where} can be read or written by group or others (mode ${(file.mode & 0o777).toString(8).padStart(4, '0')}); anyone who reads it can forge gossip: chmod 600 ${path}`);
  }
  const text = file.bytes.toString('utf8');
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
