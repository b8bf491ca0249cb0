import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

/** Shared by the Docker system tests: the Engine they talk to and how they skip without one. */
export const DOCKER_URL = process.env['DOCKER_URL'] || 'unix:///var/run/docker.sock';
export const IMAGE = 'local/busybox:latest';
const run = promisify(execFile);

/** Runs the docker CLI against DOCKER_URL; resolves to its trimmed stdout. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', DOCKER_URL, ...args], { timeout: 30_000 });
  return stdout.trim();
}

/**
 * True when the Engine is there (`unreachable` is null). Otherwise skips the test with a
 * message saying how to start one, or fails it under CI=true, where these tests must run.
 */
export function needDocker(t: TestContext, unreachable: string | null): boolean {
  if (unreachable === null) return true;
  const why = `dockerd not reachable at ${DOCKER_URL} (${unreachable}); run scripts/docker/start-dockerd.sh`;
  if (process.env['CI'] === 'true') assert.fail(`${why} (CI must run the Docker system tests)`);
  t.skip(why);
  return false;
}
