import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { ErrorCode, hasCode } from '../../../src/core/index.js';

const GOOD = Buffer.alloc(32, 7).toString('base64');
const OTHER = Buffer.alloc(16, 9).toString('base64');

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(hasCode(err, ErrorCode.CONFIG_INVALID));
    return err.message;
  }
  assert.fail('expected a configuration error');
}

/** No run of 8 or more characters of a key appears in `text`. */
function assertNoPartOf(text: string, ...secrets: string[]): void {
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 8)), `message shows part of a key: ${text}`);
  }
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-keys-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a bad key in SIDECAR_ENCRYPT_KEYS is named by position and source, and neither key is shown', () => {
  const message = problemsOf(() => loadConfig({ env: { SIDECAR_ENCRYPT_KEYS: `${GOOD},notbase64!!` } }));
  assert.match(message, /SIDECAR_ENCRYPT_KEYS entry 2 is not base64 of 16, 24 or 32 bytes/);
  assertNoPartOf(message, GOOD, 'notbase64!!');
  const flag = problemsOf(() => loadConfig({ env: {}, flags: { encryptKeys: [GOOD, 'c2hvcnQ='] } }));
  assert.match(flag, /--encrypt-key entry 2 is not base64/);
  assertNoPartOf(flag, GOOD, 'c2hvcnQ=');
});

test('a key on the command line works and warns that /proc/PID/cmdline shows it; the variable does not warn', () => {
  const flagged = loadConfig({ env: {}, flags: { encryptKeys: [GOOD] } });
  assert.equal(flagged.config.encryptKeys.length, 1);
  assert.ok(flagged.warnings.some((w) => w.includes('/proc/PID/cmdline') && w.includes('--encrypt-key-file')));
  assert.ok(flagged.warnings.every((w) => !w.includes(GOOD)));
  assert.equal(loadConfig({ env: { SIDECAR_ENCRYPT_KEYS: GOOD } }).warnings.length, 0);
});

test('key file: one key per line, the first primary, comments and blank lines skipped, mode 600 quiet', () => {
  withDir((dir) => {
    const path = join(dir, 'gossip.key');
    writeFileSync(path, `# rotated 2026-12\n${OTHER}\n\n  ${GOOD}  \n`, { mode: 0o600 });
    const loaded = loadConfig({ env: { SIDECAR_ENCRYPT_KEY_FILE: path } });
    assert.deepEqual(loaded.config.encryptKeys.map((k) => Buffer.from(k).toString('base64')), [OTHER, GOOD]);
    assert.equal(loaded.config.encryptKeyFile, path);
    assert.deepEqual(loaded.warnings, []);
  });
});

test('key file readable by others warns; a bad line is named by number without its text', () => {
  withDir((dir) => {
    const path = join(dir, 'gossip.key');
    writeFileSync(path, `${GOOD}\n`);
    chmodSync(path, 0o644);
    const loaded = loadConfig({ env: {}, flags: { encryptKeyFile: path } });
    assert.ok(loaded.warnings.some((w) => w.includes('group or others') && w.includes('chmod 600')));
    writeFileSync(path, `${GOOD}\n${GOOD.slice(0, 20)}\n`);
    const message = problemsOf(() => loadConfig({ env: { SIDECAR_ENCRYPT_KEY_FILE: path } }));
    assert.match(message, /SIDECAR_ENCRYPT_KEY_FILE \(.*gossip\.key\) line 2 is not base64 of 16, 24 or 32 bytes/);
    assertNoPartOf(message, GOOD);
  });
});

test('key file: missing, empty, too large, or given together with keys is refused', () => {
  withDir((dir) => {
    const path = join(dir, 'gossip.key');
    assert.match(problemsOf(() => loadConfig({ env: { SIDECAR_ENCRYPT_KEY_FILE: path } })), /cannot be opened \(ENOENT\)/);
    writeFileSync(path, '# nothing yet\n', { mode: 0o600 });
    assert.match(problemsOf(() => loadConfig({ env: { SIDECAR_ENCRYPT_KEY_FILE: path } })), /holds no key/);
    writeFileSync(path, `${GOOD}\n`.repeat(2000), { mode: 0o600 });
    assert.match(problemsOf(() => loadConfig({ env: { SIDECAR_ENCRYPT_KEY_FILE: path } })), /larger than 65536 bytes/);
    writeFileSync(path, `${GOOD}\n`, { mode: 0o600 });
    const both = problemsOf(() => loadConfig({ env: { SIDECAR_ENCRYPT_KEY_FILE: path, SIDECAR_ENCRYPT_KEYS: OTHER } }));
    assert.match(both, /both set/);
    assertNoPartOf(both, GOOD, OTHER);
  });
});
