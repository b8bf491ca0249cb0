import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, SidecarError } from '../../../src/core/index.js';
import { startCpuProfile } from '../../../src/cli/cpu-profile.js';
import { captureLogger } from '../../helpers/log-capture.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-profile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('-p writes a readable profile to a new file (mode 0600), and replaces an old one of ours', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sidecar.cpuprofile');
  for (let i = 0; i < 2; i++) {
    const stop = await startCpuProfile(captureLogger().logger, file);
    await stop();
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes?: unknown[] };
    assert.ok(Array.isArray(profile.nodes));
    assert.equal(lstatSync(file).mode & 0o777, 0o600);
  }
  assert.deepEqual(readdirSync(dir), ['sidecar.cpuprofile'], 'no temporary file left');
});

test('a symlink at the profile path is refused before profiling starts, naming the path; its target is untouched', async (t) => {
  const dir = tempDir(t);
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'keep me');
  const file = join(dir, 'sidecar.cpuprofile');
  symlinkSync(victim, file);
  await assert.rejects(startCpuProfile(captureLogger().logger, file), (err: unknown) => {
    assert.ok(err instanceof SidecarError);
    assert.equal(err.code, ErrorCode.CPU_PROFILE_UNSAFE);
    assert.match(err.message, new RegExp(`${file}: it is a symbolic link`));
    assert.match(err.message, /Remove it/);
    return true;
  });
  assert.equal(readFileSync(victim, 'utf8'), 'keep me');
});

test('a symlink planted while the agent runs is not written through: the error is logged, the target untouched', async (t) => {
  const dir = tempDir(t);
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'keep me');
  const file = join(dir, 'sidecar.cpuprofile');
  const { logger, records } = captureLogger();
  const stop = await startCpuProfile(logger, file);
  symlinkSync(victim, file);
  await stop();
  assert.equal(readFileSync(victim, 'utf8'), 'keep me');
  assert.ok(lstatSync(file).isSymbolicLink(), 'the link itself is left alone');
  const error = records.find((r) => r.code === ErrorCode.CPU_PROFILE_UNSAFE);
  assert.ok(error !== undefined);
  assert.match(error.msg, /symbolic link/);
  assert.deepEqual(readdirSync(dir).sort(), ['sidecar.cpuprofile', 'victim.txt'], 'no temporary file left');
});

test("a file of another user's at the profile path is refused", { skip: process.getuid?.() !== 0 ? 'needs root to chown' : false }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sidecar.cpuprofile');
  writeFileSync(file, 'theirs');
  chownSync(file, 65534, 65534);
  await assert.rejects(startCpuProfile(captureLogger().logger, file), /belongs to another user \(uid 65534\)/);
  assert.equal(readFileSync(file, 'utf8'), 'theirs');
});
