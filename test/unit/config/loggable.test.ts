import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, loggableConfig } from '../../../src/config/index.js';

test('the logged configuration never shows a secret, and URLs lose their credentials', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const { config } = loadConfig({
    env: {
      SIDECAR_API_TOKEN: 's3cr3t-token',
      SIDECAR_ENCRYPT_KEYS: key,
      LISTENERS_URLS: 'http://user:pass@hooks.example/sidecar?token=abc',
      DOCKER_URL: 'tcp://admin:pw@docker.example:2376',
    },
  });
  const logged = loggableConfig(config);
  const text = JSON.stringify(logged);
  for (const secret of ['s3cr3t-token', key, 'pass', 'abc', 'admin:pw']) assert.ok(!text.includes(secret), `${secret} is not logged`);
  assert.equal(logged['apiToken'], '(set)');
  assert.equal(logged['encryptKeys'], '1 key(s)');
  assert.deepEqual(logged['listenerUrls'], ['http://***@hooks.example/sidecar?token=***']);
  assert.equal(logged['dockerUrl'], 'tcp://***@docker.example:2376');
  assert.equal(logged['gossipIntervalMs'], '200ms');
  assert.equal(loggableConfig(loadConfig({ env: {} }).config)['apiToken'], '(none)');
});
