import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Writable } from 'node:stream';
import { captureStream } from '../../helpers/capture-stream.js';
import { BugError, ErrorCode, SidecarError } from '../../../src/core/index.js';
import { runCli } from '../../../src/cli/index.js';
import { configure, EXIT_BAD_CONFIG, EXIT_BUG, type CommandContext } from '../../../src/cli/agent-command.js';

function context(stderr: Writable): CommandContext & { code: () => number | undefined } {
  let code: number | undefined;
  return { env: {}, stderr, setExitCode: (c) => (code = c), code: () => code };
}

test('a BugError is not a SidecarError', () => {
  const bug = new BugError('broken');
  assert.equal(bug instanceof SidecarError, false);
  assert.equal(bug.code, ErrorCode.BUG);
});

test('bad configuration exits 2 with the list of problems', async () => {
  const err = captureStream();
  const code = await runCli(['--http-port', 'not-a-port'], { env: {}, stderr: err.stream });
  assert.equal(code, EXIT_BAD_CONFIG);
  assert.match(err.text(), /invalid configuration/);
  assert.doesNotMatch(err.text(), /a bug/);
});

test('a bug while loading the configuration is not reported as bad configuration', () => {
  const err = captureStream();
  const ctx = context(err.stream);
  // A flag whose reading throws stands for any bug inside config loading.
  const flags = Object.defineProperty({}, 'httpPort', {
    enumerable: true,
    get() {
      throw new BugError('broken invariant in config loading');
    },
  });
  assert.throws(() => configure(ctx, flags), BugError);
  assert.equal(ctx.code(), undefined);
  assert.equal(err.text(), '');
});

test('a bug inside a command exits with its own code and asks to be reported', async () => {
  const err = captureStream();
  // `sidecar agent` with a BugError thrown where the environment is read (config loading).
  const env = new Proxy({} as Record<string, string | undefined>, {
    get() {
      throw new BugError('broken invariant in config loading');
    },
  });
  const code = await runCli(['agent'], { env, stderr: err.stream });
  assert.equal(code, EXIT_BUG);
  assert.notEqual(code, EXIT_BAD_CONFIG);
  assert.match(err.text(), /a bug; please report it \(SC_ERR_BUG\)/);
  assert.match(err.text(), /broken invariant in config loading/);
});
