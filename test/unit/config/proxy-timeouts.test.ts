import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/index.js';
import { hasCode, ErrorCode } from '../../../src/core/index.js';

test('proxy client and server idle timeouts: 1m by default, each set on its own, by flag or environment', () => {
  const d = loadConfig({ env: {} }).config;
  assert.deepEqual([d.proxyClientTimeoutMs, d.proxyServerIdleTimeoutMs, d.proxyServerTimeoutMs], [60_000, 60_000, 60_000]);
  const env = loadConfig({ env: { PROXY_CLIENT_TIMEOUT: '30s', PROXY_SERVER_IDLE_TIMEOUT: '5m' } }).config;
  assert.deepEqual([env.proxyClientTimeoutMs, env.proxyServerIdleTimeoutMs, env.proxyServerTimeoutMs], [30_000, 300_000, 60_000]);
  const flags = loadConfig({ env: { PROXY_CLIENT_TIMEOUT: '30s' }, flags: { proxyClientTimeoutMs: '2s' } }).config;
  assert.equal(flags.proxyClientTimeoutMs, 2_000);
});

test('proxy timeouts under 10ms are refused, naming the flag', () => {
  assert.throws(
    () => loadConfig({ env: {}, flags: { proxyClientTimeoutMs: '5ms', proxyServerIdleTimeoutMs: '0s' } }),
    (err) => {
      assert.ok(hasCode(err, ErrorCode.CONFIG_INVALID));
      const msg = (err as Error).message;
      assert.match(msg, /--proxy-client-timeout="5ms"/);
      assert.match(msg, /--proxy-server-idle-timeout="0s"/);
      return true;
    },
  );
});
