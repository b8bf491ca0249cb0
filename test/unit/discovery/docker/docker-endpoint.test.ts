import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, SidecarError } from '../../../../src/core/index.js';
import { resolveDockerEndpoint } from '../../../../src/discovery/docker/index.js';

test('DOCKER_URL unix:// and tcp:// (plain http, as go-dockerclient)', () => {
  assert.deepEqual(resolveDockerEndpoint('unix:///var/run/docker.sock', {}), {
    kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock',
  });
  assert.deepEqual(resolveDockerEndpoint('tcp://10.0.0.1:2375', { DOCKER_TLS_VERIFY: '1' }), {
    kind: 'tcp', url: 'tcp://10.0.0.1:2375', host: '10.0.0.1', port: 2375, protocol: 'http', certPath: null,
  });
});

test('DOCKER_URL set but empty: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH', () => {
  assert.deepEqual(resolveDockerEndpoint('', {}), { kind: 'unix', url: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' });
  assert.deepEqual(resolveDockerEndpoint('', { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), {
    kind: 'unix', url: 'unix:///run/user/1000/docker.sock', socketPath: '/run/user/1000/docker.sock',
  });
  assert.deepEqual(resolveDockerEndpoint('', { DOCKER_HOST: 'tcp://docker.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }), {
    kind: 'tcp', url: 'tcp://docker.example:2376', host: 'docker.example', port: 2376, protocol: 'https', certPath: '/certs',
  });
  const home = resolveDockerEndpoint('', { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', HOME: '/home/u' });
  assert.equal(home.kind === 'tcp' && home.certPath, '/home/u/.docker');
  assert.equal(home.kind === 'tcp' && home.port, 2376);
  const plain = resolveDockerEndpoint('', { DOCKER_HOST: 'tcp://[::1]' });
  assert.equal(plain.kind === 'tcp' && `${plain.host} ${plain.port} ${plain.protocol}`, '::1 2375 http');
});

test('unusable addresses are CONFIG_INVALID errors naming the variable', () => {
  for (const [url, env, variable] of [
    ['ssh://me@host', {}, 'DOCKER_URL'],
    ['/var/run/docker.sock', {}, 'DOCKER_URL'],
    ['unix://', {}, 'DOCKER_URL'],
    ['', { DOCKER_HOST: 'npipe:////./pipe/docker_engine' }, 'DOCKER_HOST'],
  ] as const) {
    assert.throws(
      () => resolveDockerEndpoint(url, env),
      (err: unknown) => err instanceof SidecarError && err.code === ErrorCode.CONFIG_INVALID && err.message.startsWith(`${variable}:`),
      url,
    );
  }
});
