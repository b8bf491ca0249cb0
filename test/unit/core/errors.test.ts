import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCode, SidecarError, BugError, hasCode } from '../../../src/core/index.js';

test('docs/errors.md lists exactly the codes of the catalogue', () => {
  const documented = new Set([...readFileSync('docs/errors.md', 'utf8').matchAll(/`(SC_ERR_[A-Z_]+)`/g)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), Object.values(ErrorCode).sort());
});

test('codes are unique and errors carry them', () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  const err = new SidecarError(ErrorCode.API_LISTEN, 'port in use');
  assert.ok(hasCode(err, ErrorCode.API_LISTEN));
  assert.ok(!hasCode(err, ErrorCode.BUG));
  assert.equal(new BugError('x').code, ErrorCode.BUG);
});
