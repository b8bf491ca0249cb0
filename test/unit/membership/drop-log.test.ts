import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { DropLog, SUSTAINED_DROPS } from '../../../src/membership/engine/drop-log.js';
import { LEVEL, captureLogger } from '../../helpers/log-capture.js';

test('an untrusted peer is warned about once per address per minute, with the count held back', () => {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const drops = new DropLog(logger, clock);
  for (let i = 0; i < 1000; i++) drops.dropped('packet', '10.0.0.66', { reason: 'decryptFailed', detail: 'no installed keys could decrypt the message' });
  drops.dropped('packet', '10.0.0.67', { reason: 'clusterRejected', detail: 'Cluster names do not match: other <-> default' });
  drops.dropped('stream', '10.0.0.66', { reason: 'encryptionMismatch', detail: 'plaintext' });
  const warns = () => records.filter((r) => r.level === LEVEL.warn);
  assert.equal(warns().length, 3);
  assert.match(warns()[0]?.msg ?? '', /10\.0\.0\.66: none of our encryption keys/);
  assert.match(warns()[1]?.msg ?? '', /another cluster/);
  clock.advance(60_000);
  drops.dropped('packet', '10.0.0.66', { reason: 'decryptFailed', detail: 'x' });
  assert.equal(warns().length, 4);
  assert.equal(warns()[3]?.['suppressed'], 999);
});

test('other drops are debug, and a warning per reason once sustained', () => {
  const clock = new FakeClock();
  const { logger, records } = captureLogger();
  const drops = new DropLog(logger, clock);
  for (let i = 0; i < SUSTAINED_DROPS - 1; i++) drops.limited('packet', '10.0.0.1', 'oversized', 'lzw: output above 65536 bytes');
  assert.equal(records.filter((r) => r.level === LEVEL.warn).length, 0);
  assert.equal(records.filter((r) => r.level === LEVEL.debug).length, SUSTAINED_DROPS - 1);
  for (let i = 0; i < 500; i++) drops.limited('packet', '10.0.0.1', 'oversized', 'lzw: output above 65536 bytes');
  assert.equal(records.filter((r) => r.level === LEVEL.warn).length, 1);
  clock.advance(60_000);
  drops.limited('stream', '10.0.0.2', 'oversized', 'again');
  assert.equal(records.filter((r) => r.level === LEVEL.warn).length, 2);
});
