import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBoundedFile } from '../../../src/core/index.js';

test('readBoundedFile: the whole file within the cap, each problem named, never more than the cap read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bounded-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const small = join(dir, 'small');
  writeFileSync(small, 'token', { mode: 0o600 });
  const ok = readBoundedFile(small, 5);
  assert.ok(ok.ok);
  assert.equal(ok.bytes.toString(), 'token');
  assert.equal(ok.mode & 0o777, 0o600);
  assert.deepEqual(readBoundedFile(small, 4), { ok: false, problem: 'too-big', size: 5 });
  const missing = readBoundedFile(join(dir, 'nope'), 5);
  assert.equal(missing.ok ? '' : `${missing.problem} ${missing.errno}`, 'open ENOENT');
  assert.deepEqual(readBoundedFile(dir, 5), { ok: false, problem: 'not-file' });
  // A /proc file says its size is 0: the read itself stops past the cap.
  assert.deepEqual(readBoundedFile('/proc/self/status', 16), { ok: false, problem: 'too-big' });
  const limits = readBoundedFile('/proc/self/limits', 64 * 1024);
  assert.ok(limits.ok && limits.bytes.toString().includes('Max open files'));
});
