import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NftTableReader } from '../../../../src/proxy/fastpath/index.js';

// A stand-in `nft` (a real process): logs its arguments to a file, then prints the recorded
// `nft -j list table ip sidecar` (test/fixtures/nft) or fails as nft does without the table.
const dir = mkdtempSync(join(tmpdir(), 'sidecar-nft-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const RECORDED = resolve('test/fixtures/nft/list-table-sidecar.json');

function fakeNft(name: string, body: string): { path: string; runs: () => string[] } {
  const path = join(dir, name);
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\n${body}\n`);
  chmodSync(path, 0o755);
  return { path, runs: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}

test('NftTableReader runs `nft -j list table` once for concurrent reads and reuses a read for maxAgeMs', async () => {
  const nft = fakeNft('nft-ok', `cat ${RECORDED}`);
  let now = 1_000_000;
  const reader = new NftTableReader({ table: 'sidecar', bindIp: '192.168.168.168', nftPath: nft.path, maxAgeMs: 1_000, nowMs: () => now });
  const [a, b] = await Promise.all([reader.read(), reader.read()]);
  assert.equal(a, b);
  assert.deepEqual(nft.runs(), ['-j list table ip sidecar']);
  assert.equal(a.ok, true);
  assert.equal(a.readAtMs, 1_000_000);
  assert.deepEqual(a.ok ? a.ports.map((p) => p.endpoints.map((e) => e.connections)) : [], [[2, 1], [1]]);
  now += 999;
  assert.equal(await reader.read(), a);
  assert.equal(nft.runs().length, 1);
  now += 1;
  const c = await reader.read();
  assert.notEqual(c, a);
  assert.equal(c.readAtMs, 1_001_000);
  assert.equal(nft.runs().length, 2);
});

test('NftTableReader reports nft failing, and output past maxOutputBytes unparsed', async () => {
  const failing = fakeNft('nft-fail', 'echo "Error: No such file or directory" >&2; exit 1');
  const read = await new NftTableReader({ table: 'sidecar', bindIp: '192.168.168.168', nftPath: failing.path }).read();
  assert.deepEqual(read.ok ? undefined : read.error, 'nft exited with 1: Error: No such file or directory');
  const big = fakeNft('nft-big', `cat ${RECORDED}`);
  const truncated = await new NftTableReader({ table: 'sidecar', bindIp: '192.168.168.168', nftPath: big.path, maxOutputBytes: 100 }).read();
  assert.deepEqual(truncated.ok ? undefined : truncated.error, "the table's JSON is larger than 100 bytes; not read");
  const missing = await new NftTableReader({ table: 'sidecar', bindIp: '192.168.168.168', nftPath: join(dir, 'no-such-nft') }).read();
  assert.match(missing.ok ? '' : missing.error, /could not start nft: .*ENOENT/);
});
