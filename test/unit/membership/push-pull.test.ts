import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STOCK_MEMBERLIST, goSidecarDialect, Keyring } from '../../../src/membership/index.js';
import {
  encodeStreamMessage,
  encodeStream,
  readStream,
  DEFAULT_STREAM_LIMITS,
  type PushPull,
  type StreamMessage,
  type StreamDecodeOptions,
  type StreamReadResult,
} from '../../../src/membership/wire/push-pull.js';
import { MessageType, NodeStateType } from '../../../src/membership/wire/messages.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SIDECAR = goSidecarDialect('default');
const ip = Uint8Array.of(10, 0, 0, 7);

const state: PushPull = {
  type: 'pushPull',
  join: true,
  nodes: [
    { name: 'a', addr: ip, port: 7946, meta: new TextEncoder().encode('{"ClusterName":"default","State":"Running"}'), incarnation: 3, state: NodeStateType.alive, vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) },
    { name: 'b', addr: Uint8Array.of(10, 0, 0, 8), port: 7946, meta: new Uint8Array(0), incarnation: 9, state: NodeStateType.dead, vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) },
  ],
  userState: new TextEncoder().encode('{"Servers":{}}'.repeat(50)),
};

function done(r: StreamReadResult): StreamMessage {
  if (r.status !== 'done') assert.fail(`expected done, got ${r.status === 'failed' ? r.failure.reason + ': ' + r.failure.detail : r.status}`);
  return r.message;
}

test('push/pull header and nodes are byte-exact in the fork dialect', () => {
  const buf = encodeStreamMessage({ type: 'pushPull', join: false, nodes: [], userState: Uint8Array.of(0x7b, 0x7d) }, SIDECAR);
  // [6] {ClusterName: "default", Join: false, Nodes: 0, UserStateLen: 2} "{}"
  assert.equal(
    hex(buf),
    '06' + '84' + 'ab436c75737465724e616d65' + 'a764656661756c74' + 'a44a6f696e' + 'c2' + 'a54e6f646573' + '00' + 'ac5573657253746174654c656e' + '02' + '7b7d',
  );
  const stock = encodeStreamMessage({ type: 'pushPull', join: false, nodes: [], userState: new Uint8Array(0) }, STOCK_MEMBERLIST);
  assert.equal(stock[1], 0x83, 'stock header has 3 fields');
});

test('every stream message round-trips, plain, compressed, encrypted and labelled', () => {
  const keyring = new Keyring(new Uint8Array(16).fill(2));
  const messages: StreamMessage[] = [
    state,
    { type: 'user', payload: new TextEncoder().encode('{"ID":"x"}') },
    { type: 'ping', seqNo: 5, node: 'b', sourceAddr: new Uint8Array(0), sourcePort: 0, sourceNode: '' },
    { type: 'ack', seqNo: 5, payload: new Uint8Array(0) },
    { type: 'err', error: 'boom' },
  ];
  const variants = [
    { compress: false },
    { compress: true },
    { compress: true, keyring },
    { compress: false, keyring, label: 'blue' },
  ];
  for (const v of variants) {
    for (const msg of messages) {
      const bytes = encodeStream(msg, { dialect: SIDECAR, ...v });
      const r = readStream(bytes, { dialect: SIDECAR, ...v });
      assert.deepEqual(done(r), msg);
      assert.equal(r.status === 'done' && r.consumed, bytes.length);
    }
  }
});

test('the stream reader says incomplete until every byte is there, whatever the wrapping', () => {
  const keyring = new Keyring(new Uint8Array(32).fill(2));
  for (const opts of [{ compress: false }, { compress: true }, { compress: true, keyring }]) {
    const bytes = encodeStream(state, { dialect: SIDECAR, ...opts });
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = readStream(bytes.subarray(0, cut), { dialect: SIDECAR, ...opts });
      assert.equal(r.status, 'incomplete', `cut at ${cut} of ${bytes.length}`);
    }
    assert.deepEqual(done(readStream(bytes, { dialect: SIDECAR, ...opts })), state);
  }
});

test('a push/pull from another cluster, or from stock memberlist, is refused by the fork dialect', () => {
  const other = readStream(encodeStream(state, { dialect: goSidecarDialect('staging'), compress: true }), { dialect: SIDECAR });
  assert.equal(other.status === 'failed' && other.failure.reason, 'clusterRejected');
  assert.match(other.status === 'failed' ? other.failure.detail : '', /Cluster names do not match: staging <-> default/);
  const stock = readStream(encodeStream(state, { dialect: STOCK_MEMBERLIST, compress: true }), { dialect: SIDECAR });
  assert.equal(stock.status === 'failed' && stock.failure.reason, 'clusterRejected');
  assert.deepEqual(done(readStream(encodeStream(state, { dialect: SIDECAR, compress: true }), { dialect: STOCK_MEMBERLIST })), state);
});

test('encryption mismatches, wrong keys and labels fail with a reason', () => {
  const keyring = new Keyring(new Uint8Array(16).fill(2));
  const cases: [Uint8Array, StreamDecodeOptions, string][] = [
    [encodeStream(state, { dialect: SIDECAR, compress: true }), { dialect: SIDECAR, keyring }, 'encryptionMismatch'],
    [encodeStream(state, { dialect: SIDECAR, compress: true, keyring }), { dialect: SIDECAR }, 'encryptionMismatch'],
    [encodeStream(state, { dialect: SIDECAR, compress: true, keyring }), { dialect: SIDECAR, keyring: new Keyring(new Uint8Array(16).fill(3)) }, 'decryptFailed'],
    [encodeStream(state, { dialect: SIDECAR, compress: true, label: 'x' }), { dialect: SIDECAR }, 'badLabel'],
    [Uint8Array.of(MessageType.hasLabel, 0), { dialect: SIDECAR }, 'badLabel'],
    [Uint8Array.of(MessageType.compound), { dialect: SIDECAR }, 'unknownType'],
  ];
  for (const [bytes, opts, reason] of cases) {
    const r = readStream(bytes, opts);
    assert.equal(r.status === 'failed' && r.failure.reason, reason);
  }
});

test('oversized announcements are refused before buffering', () => {
  const limits = { ...DEFAULT_STREAM_LIMITS, maxStateBytes: 100, maxNodes: 1 };
  const big = readStream(encodeStreamMessage({ ...state, nodes: [] }, SIDECAR), { dialect: SIDECAR, limits });
  assert.equal(big.status === 'failed' && big.failure.reason, 'oversized');
  const many = readStream(encodeStreamMessage({ ...state, userState: new Uint8Array(0) }, SIDECAR), { dialect: SIDECAR, limits });
  assert.equal(many.status === 'failed' && many.failure.reason, 'oversized');
  const keyring = new Keyring(new Uint8Array(16).fill(2));
  const enc = readStream(Uint8Array.of(MessageType.encrypt, 0xff, 0xff, 0xff, 0xff), { dialect: SIDECAR, keyring });
  assert.equal(enc.status === 'failed' && enc.failure.reason, 'oversized');
  const user = readStream(encodeStreamMessage({ type: 'user', payload: new Uint8Array(200) }, SIDECAR), { dialect: SIDECAR, limits });
  assert.equal(user.status === 'failed' && user.failure.reason, 'oversized');
});
