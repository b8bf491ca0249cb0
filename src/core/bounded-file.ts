import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A file read whole, never more than its cap: its bytes and its permission bits. */
export type BoundedFile =
  | { readonly ok: true; readonly bytes: Buffer; readonly mode: number }
  | {
      readonly ok: false;
      /** `open`: cannot be opened; `not-file`: a directory, device…; `too-big`: over the cap; `read`: a read failed. */
      readonly problem: 'open' | 'not-file' | 'too-big' | 'read';
      /** The errno code (`ENOENT`, `EACCES`…) of `open` and `read`. */
      readonly errno?: string;
      /** The system's message for `open` and `read`. */
      readonly message?: string;
      /** The size `fstat` reported, when that is what was over the cap. */
      readonly size?: number;
    };

/** Why a {@link readBoundedFile} failed, in words to put after the file's name: `N bytes, more than the M allowed`, `not a regular file`, or the system's message. */
export function boundedFileProblem(read: Extract<BoundedFile, { ok: false }>, maxBytes: number): string {
  switch (read.problem) {
    case 'too-big':
      return `${read.size === undefined ? '' : `${read.size} bytes, `}more than the ${maxBytes} allowed`;
    case 'not-file':
      return 'not a regular file';
    case 'open':
    case 'read':
      return read.message ?? read.errno ?? 'unknown error';
  }
}

/**
 * Reads a whole regular file of at most `maxBytes` (settings files: a token, gossip keys, TLS
 * PEM, /proc limits). The size is checked before anything is read, and reading stops one byte
 * past the cap, so a file that grows (or a /proc file, whose size reads as 0) never costs more
 * than `maxBytes + 1`. Nothing is thrown: callers word the problem for their setting.
 */
export function readBoundedFile(path: string, maxBytes: number): BoundedFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { ok: false, problem: 'open', ...errnoOf(err) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, problem: 'not-file' };
    if (st.size > maxBytes) return { ok: false, problem: 'too-big', size: st.size };
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    if (length > maxBytes) return { ok: false, problem: 'too-big' };
    return { ok: true, bytes: buf.subarray(0, length), mode: st.mode };
  } catch (err) {
    return { ok: false, problem: 'read', ...errnoOf(err) };
  } finally {
    closeSync(fd);
  }
}

function errnoOf(err: unknown): { errno?: string; message?: string } {
  const code = (err as { code?: unknown }).code;
  return { ...(typeof code === 'string' ? { errno: code } : {}), ...(err instanceof Error ? { message: err.message } : {}) };
}
