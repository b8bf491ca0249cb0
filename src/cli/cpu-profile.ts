import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCode, SidecarError, errorMessage, type Logger } from '../core/index.js';

/** The file `--cpuprofile` writes (Chrome DevTools format; the Go Sidecar wrote sidecar.cpu.prof). */
export const CPU_PROFILE_FILE = 'sidecar.cpuprofile';

/**
 * Starts the V8 CPU profiler; the returned function stops it and writes the profile to `file`
 * (relative to the working directory). The profile is never written through a symbolic link
 * or over a file that is not a regular file of this user's: it goes to a new temporary file
 * in the same folder (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) that is then renamed over the
 * target, which replaces a name rather than following it. An unsafe target is refused here,
 * before profiling starts (SC_ERR_CPU_PROFILE_UNSAFE), and again when writing, in case it was
 * swapped meanwhile (then the error is logged and nothing is written).
 */
export async function startCpuProfile(logger: Logger, file: string = CPU_PROFILE_FILE): Promise<() => Promise<void>> {
  const path = resolve(file);
  await assertSafeTarget(path);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  logger.info({ file: path }, 'CPU profiling until the agent stops');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    try {
      await writeSafely(path, JSON.stringify(profile));
      logger.info({ file: path }, 'CPU profile written');
    } catch (err) {
      const code = err instanceof SidecarError ? err.code : undefined;
      logger.error({ code, file: path }, `CPU profile not written: ${errorMessage(err)}`);
    }
  };
}

/** Throws CPU_PROFILE_UNSAFE when `path` exists and is a symlink, not a regular file, or another user's. */
async function assertSafeTarget(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unsafe(path, `it cannot be examined (${errorMessage(err)})`);
  }
  if (st.isSymbolicLink()) throw unsafe(path, 'it is a symbolic link, and the profile is never written through one');
  if (!st.isFile()) throw unsafe(path, 'it is not a regular file');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw unsafe(path, `it belongs to another user (uid ${st.uid})`);
}

function unsafe(path: string, why: string): SidecarError {
  return new SidecarError(
    ErrorCode.CPU_PROFILE_UNSAFE,
    `cannot write the CPU profile to ${path}: ${why}. Remove it, or run the agent with -p from another working directory`,
  );
}

/** Writes `text` to a new temporary file next to `path`, then renames it over `path` if that is still safe. */
async function writeSafely(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  try {
    await assertSafeTarget(path);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
