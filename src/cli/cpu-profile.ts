import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { Logger } from '../core/index.js';

/** The file `--cpuprofile` writes (Chrome DevTools format; the Go Sidecar wrote sidecar.cpu.prof). */
export const CPU_PROFILE_FILE = 'sidecar.cpuprofile';

/** Starts the V8 CPU profiler; the returned function stops it and writes the profile. */
export async function startCpuProfile(logger: Logger): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  logger.info({ file: CPU_PROFILE_FILE }, 'CPU profiling until the agent stops');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(CPU_PROFILE_FILE, JSON.stringify(profile));
    session.disconnect();
    logger.info({ file: CPU_PROFILE_FILE }, 'CPU profile written');
  };
}
