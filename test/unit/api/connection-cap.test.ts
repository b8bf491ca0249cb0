import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { FD_RESERVE, apiConnectionCap, readSoftFdLimit } from '../../../src/api/connection-cap.js';

it('the API connection cap keeps FD_RESERVE descriptors of the open-file limit for the rest of the agent', () => {
  assert.equal(apiConnectionCap(256, undefined), 256);
  assert.equal(apiConnectionCap(256, 1_048_576), 256);
  assert.equal(apiConnectionCap(256, 256), 256 - FD_RESERVE);
  assert.equal(apiConnectionCap(256, 100), 8, 'never below 8');
});

it('reads the soft open-file limit from a limits file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'limits-'));
  const file = join(dir, 'limits');
  writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  524288               files\n');
  assert.equal(readSoftFdLimit(file), 256);
  writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
  assert.equal(readSoftFdLimit(file), undefined);
  assert.equal(readSoftFdLimit(join(dir, 'missing')), undefined);
  assert.equal(typeof (readSoftFdLimit() ?? 0), 'number', 'this process');
});
