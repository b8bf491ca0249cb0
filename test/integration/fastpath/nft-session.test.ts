import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NftSession, runNft } from '../../../src/proxy/fastpath/index.js';
import { makeNetns, netnsSkipReason, type TestNetns } from '../../helpers/netns.js';

// Inside a network namespace of this test: `nft` is a wrapper that enters it.
const skip = netnsSkipReason();
let ns: TestNetns;
before(() => {
  if (skip === undefined) ns = makeNetns('sc-fps');
});
after(() => ns?.close());

test('one nft -i applies line after line, tells a failed line from a good one, and ends at close', { skip }, async () => {
  const made = await runNft(['-f', '-'], 'table ip fps {\n  chain c {\n  }\n}\n', { nftPath: ns.nft });
  assert.equal(made.code, 0, made.stderr);
  const session = new NftSession({ nftPath: ns.nft, sentinelPrefix: 'fps' });
  try {
    const good = await session.run('add rule ip fps c counter; add chain ip fps d');
    assert.equal(good.code, 0, good.stderr);
    assert.match(ns.exec(['nft', 'list', 'table', 'ip', 'fps']), /chain d/);
    // One line is one transaction: the good half of a failing line is not applied either.
    const bad = await session.run('add chain ip fps e; flush chain ip fps nope');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Error: .*No such file or directory[\s\S]*nope/);
    assert.doesNotMatch(ns.exec(['nft', 'list', 'table', 'ip', 'fps']), /chain e/);
    // A line nft cannot parse fails too (its syntax error is not taken for the sentinel's).
    const unparsable = await session.run('add chian ip fps q');
    assert.equal(unparsable.code, 1);
    assert.match(unparsable.stderr, /syntax error[\s\S]*chian/);
    assert.equal((await session.run('')).code, 0, 'an empty line is a no-op');
    // Lines given at once run in order, each with its own answer.
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => session.run(`add chain ip fps x${i}`)));
    assert.deepEqual(many.map((r) => r.code), Array(10).fill(0));
    assert.equal((await session.run('add rule ip fps c drop; delete chain ip fps x3')).code, 0);
    assert.match(ns.exec(['nft', 'list', 'table', 'ip', 'fps']), /x9/);
    assert.equal((await session.run('two\nlines')).code, null);
  } finally {
    await session.close();
    await session.close();
  }
  assert.equal((await session.run('add chain ip fps late')).code, null, 'closed');
  await runNft(['-f', '-'], 'delete table ip fps\n', { nftPath: ns.nft });
});

test('a session whose nft cannot start answers every line with a failure', { skip }, async () => {
  const session = new NftSession({ nftPath: '/nonexistent/nft', sentinelPrefix: 'fps' });
  const r = await session.run('list tables');
  assert.equal(r.code, null);
  assert.equal((await session.run('list tables')).code, null);
  await session.close();
});
