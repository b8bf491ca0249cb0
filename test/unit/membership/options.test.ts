import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAN_MEMBERSHIP_OPTIONS, membershipOptions } from '../../../src/membership/index.js';
import { LOCAL_MEMBERSHIP_OPTIONS, STOCK_LAN_MEMBERSHIP_OPTIONS, validateMembershipOptions } from '../../../src/membership/engine/options.js';

test('the default profile is the Go Sidecar: fork LAN config plus Sidecar overrides', () => {
  const o = membershipOptions();
  assert.deepEqual(o, LAN_MEMBERSHIP_OPTIONS);
  assert.equal(o.probeIntervalMs, 1000);
  assert.equal(o.probeTimeoutMs, 500);
  assert.equal(o.suspicionMult, 5);
  assert.equal(o.suspicionMaxTimeoutMult, 6);
  assert.equal(o.retransmitMult, 4);
  assert.equal(o.gossipIntervalMs, 200);
  assert.equal(o.gossipNodes, 3);
  assert.equal(o.gossipMessagesPerInterval, 15);
  assert.equal(o.gossipToTheDeadTimeMs, 30000);
  assert.equal(o.indirectChecks, 3);
  assert.equal(o.awarenessMaxMultiplier, 8);
  assert.equal(o.pushPullIntervalMs, 20000);
  assert.equal(o.tcpTimeoutMs, 10000);
});

test('stock memberlist differs in suspicionMult, gossip packets and push/pull interval', () => {
  assert.equal(STOCK_LAN_MEMBERSHIP_OPTIONS.suspicionMult, 4);
  assert.equal(STOCK_LAN_MEMBERSHIP_OPTIONS.gossipMessagesPerInterval, 1);
  assert.equal(STOCK_LAN_MEMBERSHIP_OPTIONS.pushPullIntervalMs, 30000);
  assert.equal(STOCK_LAN_MEMBERSHIP_OPTIONS.probeIntervalMs, LAN_MEMBERSHIP_OPTIONS.probeIntervalMs);
});

test('profiles are valid, frozen, and overridable', () => {
  assert.deepEqual(validateMembershipOptions(LAN_MEMBERSHIP_OPTIONS), []);
  assert.deepEqual(validateMembershipOptions(STOCK_LAN_MEMBERSHIP_OPTIONS), []);
  assert.deepEqual(validateMembershipOptions(LOCAL_MEMBERSHIP_OPTIONS), []);
  assert.ok(LOCAL_MEMBERSHIP_OPTIONS.probeIntervalMs < LAN_MEMBERSHIP_OPTIONS.probeIntervalMs);
  assert.ok(Object.isFrozen(LAN_MEMBERSHIP_OPTIONS));
  const o = membershipOptions('local', { gossipNodes: 5 });
  assert.equal(o.gossipNodes, 5);
  assert.equal(o.probeIntervalMs, LOCAL_MEMBERSHIP_OPTIONS.probeIntervalMs);
});

test('validation names the broken settings', () => {
  const problems = validateMembershipOptions(membershipOptions('lan', { probeTimeoutMs: 1000, retransmitMult: 0, gossipNodes: -1 }));
  assert.equal(problems.length, 3);
  assert.ok(problems.some((p) => p.startsWith('retransmitMult')));
  assert.ok(problems.some((p) => p.startsWith('gossipNodes')));
  assert.ok(problems.some((p) => p.startsWith('probeTimeoutMs')));
});
