import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Member } from '../../../src/membership/index.js';
import type { ApiMemberDetail } from '../../../src/api/index.js';
import { apiMembers, decodeNodeMeta, formatMemberAddress, memberDetails, type MemberDetail } from '../../../src/replication/index.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

function member(overrides: Partial<Member> = {}): Member {
  return {
    name: 'chaucer',
    addr: Uint8Array.from([10, 0, 0, 1]),
    port: 7946,
    meta: bytes('{"ClusterName":"default","State":"Running"}'),
    vsn: Uint8Array.from([1, 5, 2, 0, 0, 0]),
    incarnation: 3,
    state: 'alive',
    stateChangeMs: Date.UTC(2023, 10, 14, 10, 21, 33),
    ...overrides,
  };
}

test('member details carry name, ip:port, state, incarnation, change time and decoded meta', () => {
  const details = memberDetails([member(), member({ name: 'serf-node', state: 'dead', meta: Uint8Array.from([0x81, 0xa4]) })]);
  assert.deepEqual(details, [
    {
      name: 'chaucer',
      address: '10.0.0.1:7946',
      state: 'alive',
      incarnation: 3,
      stateChangeMs: Date.UTC(2023, 10, 14, 10, 21, 33),
      meta: { clusterName: 'default', state: 'Running' },
    },
    { name: 'serf-node', address: '10.0.0.1:7946', state: 'dead', incarnation: 3, stateChangeMs: Date.UTC(2023, 10, 14, 10, 21, 33), meta: null },
  ]);
  // The API takes these as they are (structural types).
  const forApi: readonly ApiMemberDetail[] = details satisfies readonly MemberDetail[];
  assert.equal(forApi.length, 2);
});

test('the services.json member list is the names', () => {
  assert.deepEqual(apiMembers([member(), member({ name: 'marlowe' })]), [{ name: 'chaucer' }, { name: 'marlowe' }]);
});

test('node metadata decodes as Go would, or is null', () => {
  assert.deepEqual(decodeNodeMeta(bytes('{"clustername":"eu","STATE":"Running","Extra":1}')), { clusterName: 'eu', state: 'Running' });
  assert.deepEqual(decodeNodeMeta(bytes('{"ClusterName":null}')), { clusterName: '', state: '' });
  for (const bad of ['', 'junk', '[]', 'null', '"x"', '{"ClusterName":5,"State":"Running"}']) {
    assert.equal(decodeNodeMeta(bytes(bad)), null, bad);
  }
  assert.equal(decodeNodeMeta(Uint8Array.from([0x7b, 0xff, 0x7d])), null, 'not UTF-8');
});

test('addresses are formatted as Go JoinHostPort', () => {
  assert.equal(formatMemberAddress(Uint8Array.from([192, 168, 1, 20]), 7946), '192.168.1.20:7946');
  const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
  assert.equal(formatMemberAddress(mapped, 1), '10.1.2.3:1');
  const loop = new Uint8Array(16);
  loop[15] = 1;
  assert.equal(formatMemberAddress(loop, 7946), '[::1]:7946');
  const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  assert.equal(formatMemberAddress(v6, 80), '[2001:db8::1:0:0:1]:80');
  const one = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  assert.equal(formatMemberAddress(one, 80), '[2001:db8:0:1:1:1:1:1]:80', 'a single zero group is not shortened');
  assert.equal(formatMemberAddress(new Uint8Array(16), 80), '[::]:80');
  assert.equal(formatMemberAddress(Uint8Array.from([1, 2]), 80), '?0102:80');
});
