import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAgentToExit } from '../helpers/agent-process.js';

test('sidecar keygen prints one new base64 32-byte key and nothing else', async () => {
  const a = await runAgentToExit(['keygen']);
  const b = await runAgentToExit(['keygen']);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
  assert.equal(Buffer.from(a.stdout.trim(), 'base64').length, 32);
  assert.equal(a.stderr, '');
  assert.notEqual(a.stdout, b.stdout);
});
