import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseGoDuration, parseGoInt, parseGoBool, chooseAdvertiseIp, renderConfigurationDoc } from '../../../src/config/index.js';
import { hasCode, ErrorCode } from '../../../src/core/index.js';
import { readFileSync } from 'node:fs';

test('defaults are the Go Sidecar\'s', () => {
  const { config } = loadConfig({ env: {} });
  assert.deepEqual(config.discovery, ['docker']);
  assert.equal(config.clusterName, 'default');
  assert.equal(config.bindPort, 7946);
  assert.equal(config.pushPullIntervalMs, 20_000);
  assert.equal(config.gossipMessages, 15);
  assert.equal(config.gossipIntervalMs, 200);
  assert.equal(config.defaultCheckEndpoint, '/version');
  assert.equal(config.staticConfigFile, 'static.json');
  assert.equal(config.dockerUrl, 'unix:///var/run/docker.sock');
  assert.equal(config.proxyBindIp, '192.168.168.168');
  assert.equal(config.httpPort, 7777);
  assert.deepEqual(config.excludeIps, ['192.168.168.168']);
  assert.ok(Object.isFrozen(config));
});

test('PREFIX_NAME wins over bare NAME; empty counts as set (110)', () => {
  assert.equal(loadConfig({ env: { SIDECAR_CLUSTER_NAME: 'a', CLUSTER_NAME: 'b' } }).config.clusterName, 'a');
  assert.equal(loadConfig({ env: { CLUSTER_NAME: 'b' } }).config.clusterName, 'b');
  assert.equal(loadConfig({ env: { DOCKER_URL: '' } }).config.dockerUrl, '');
  assert.equal(loadConfig({ env: { HAPROXY_BIND_IP: '10.1.1.1' } }).config.proxyBindIp, '10.1.1.1');
  assert.equal(loadConfig({ env: { PROXY_BIND_IP: '10.2.2.2', HAPROXY_BIND_IP: '10.1.1.1' } }).config.proxyBindIp, '10.2.2.2');
  assert.equal(loadConfig({ env: { HAPROXY_DISABLE: 'true' } }).config.proxyDisabled, true);
});

test('lists split on commas; flags replace env lists (111, 113)', () => {
  const { config } = loadConfig({ env: { SIDECAR_SEEDS: 'a:7946, b', SIDECAR_DISCOVERY: 'static,docker' } });
  assert.deepEqual(config.seeds, ['a:7946', 'b']);
  assert.deepEqual(config.discovery, ['static', 'docker']);
  const flagged = loadConfig({ env: { SIDECAR_SEEDS: 'a' }, flags: { seeds: ['x', 'y'], discovery: ['static'] } }).config;
  assert.deepEqual(flagged.seeds, ['x', 'y']);
  assert.deepEqual(flagged.discovery, ['static']);
});

test('every bad value is reported at once, by variable or flag name (112)', () => {
  assert.throws(
    () =>
      loadConfig({
        env: { SIDECAR_BIND_PORT: 'abc', SIDECAR_PUSH_PULL_INTERVAL: '20 seconds', PROXY_DISABLE: 'yes', SIDECAR_DISCOVERY: 'dockr' },
        flags: { httpPort: '99999', advertiseIp: 'localhost', loggingLevel: 'loud' },
      }),
    (err) => {
      assert.ok(hasCode(err, ErrorCode.CONFIG_INVALID));
      const msg = (err as Error).message;
      for (const name of ['SIDECAR_BIND_PORT="abc"', 'SIDECAR_PUSH_PULL_INTERVAL', 'PROXY_DISABLE="yes"', 'SIDECAR_DISCOVERY="dockr"', '--http-port="99999"', '--advertise-ip="localhost"', '--logging-level="loud"']) {
        assert.ok(msg.includes(name), `${name} in ${msg}`);
      }
      assert.match(msg, /7 problems/);
      return true;
    },
  );
});

test('seeds are checked with the other settings: host, host:port or [v6]:port, naming the bad one', () => {
  const ok = loadConfig({ env: { SIDECAR_SEEDS: 'a, b:7947, [fd00::1]:7946, 10.0.0.5' } }).config;
  assert.deepEqual(ok.seeds, ['a', 'b:7947', '[fd00::1]:7946', '10.0.0.5']);
  for (const bad of ['a:0', 'b:65536', ':7946', 'c:port']) {
    assert.throws(
      () => loadConfig({ env: { SIDECAR_BIND_PORT: 'x' }, flags: { seeds: ['good', bad] } }),
      (err) => {
        assert.ok(hasCode(err, ErrorCode.CONFIG_INVALID));
        const msg = (err as Error).message;
        assert.ok(msg.includes(`seed ${JSON.stringify(bad)}`) && msg.includes('--cluster-ip') && msg.includes('2 problems'), msg);
        return true;
      },
    );
  }
});

test('kubernetes_api is a discovery method; the regex namer needs a valid pattern', () => {
  const loaded = loadConfig({ env: { SIDECAR_DISCOVERY: 'static,kubernetes_api' } });
  assert.deepEqual(loaded.config.discovery, ['static', 'kubernetes_api']);
  assert.deepEqual(loaded.warnings, []);
  assert.throws(() => loadConfig({ env: { SERVICES_NAMER: 'regex', SERVICES_NAME_MATCH: '(' } }), /not a valid regular expression/);
  assert.throws(() => loadConfig({ env: { SERVICES_NAMER: 'regex' } }), /needs a pattern/);
  assert.doesNotThrow(() => loadConfig({ env: { SERVICES_NAMER: 'regex', SIDECAR_DISCOVERY: 'static' } }));
});

test('Kubernetes settings: Go names, their bare names, and the new URL and node name', () => {
  const defaults = loadConfig({ env: {} }).config;
  assert.equal(defaults.kubeApiIp, '');
  assert.equal(defaults.kubeApiPort, 0);
  assert.equal(defaults.kubeNamespace, 'default');
  assert.equal(defaults.kubeTimeoutMs, 3000);
  assert.equal(defaults.kubeCredsPath, '/var/run/secrets/kubernetes.io/serviceaccount');
  assert.equal(defaults.kubeApiUrl, '');
  assert.equal(defaults.kubeNodeName, '');
  const bare = loadConfig({ env: { KUBE_API_IP: '10.0.0.1', KUBE_API_PORT: '443', NAMESPACE: 'web', KUBE_TIMEOUT: '5s', CREDS_PATH: '/creds', NODE_NAME: 'n1' } }).config;
  assert.deepEqual(
    [bare.kubeApiIp, bare.kubeApiPort, bare.kubeNamespace, bare.kubeTimeoutMs, bare.kubeCredsPath, bare.kubeNodeName],
    ['10.0.0.1', 443, 'web', 5000, '/creds', 'n1'],
  );
  const prefixed = loadConfig({ env: { K8S_KUBE_API_IP: '10.0.0.2', KUBE_API_IP: '10.0.0.1', K8S_NAMESPACE: '', NAMESPACE: 'web' } }).config;
  assert.equal(prefixed.kubeApiIp, '10.0.0.2');
  assert.equal(prefixed.kubeNamespace, '');
  const flags = loadConfig({ env: { K8S_KUBE_API_URL: 'http://x:1' }, flags: { kubeApiUrl: 'https://10.0.0.1:6443/', kubeNodeName: 'node-7' } }).config;
  assert.equal(flags.kubeApiUrl, 'https://10.0.0.1:6443');
  assert.equal(flags.kubeNodeName, 'node-7');
  assert.throws(() => loadConfig({ env: { K8S_KUBE_API_URL: 'ftp://x' } }), /K8S_KUBE_API_URL="ftp:\/\/x": expected an http/);
  assert.throws(() => loadConfig({ env: { K8S_KUBE_TIMEOUT: '0s' } }), /K8S_KUBE_TIMEOUT/);
});

test('zero push/pull interval means 79 s and zero gossip messages means 3', () => {
  const { config } = loadConfig({ env: { SIDECAR_PUSH_PULL_INTERVAL: '0', SIDECAR_GOSSIP_MESSAGES: '0' } });
  assert.equal(config.pushPullIntervalMs, 79_000);
  assert.equal(config.gossipMessages, 3);
});

test('Go value syntax', () => {
  assert.deepEqual(parseGoDuration('1m30s'), { ok: true, value: 90_000 });
  assert.deepEqual(parseGoDuration('1.5s'), { ok: true, value: 1500 });
  assert.deepEqual(parseGoDuration('200ms'), { ok: true, value: 200 });
  assert.equal(parseGoDuration('20').ok, false);
  assert.deepEqual(parseGoInt('0x1F'), { ok: true, value: 31 });
  assert.deepEqual(parseGoInt('010'), { ok: true, value: 8 });
  assert.equal(parseGoInt('7946abc').ok, false);
  assert.deepEqual(parseGoBool('T'), { ok: true, value: true });
  assert.equal(parseGoBool('').ok, false);
});

test('advertise IP: configured, first private not excluded, else loopback (115)', () => {
  const nics = {
    lo: [{ address: '127.0.0.1', family: 'IPv4' }],
    eth0: [{ address: '8.8.4.4', family: 'IPv4' }, { address: '192.168.168.168', family: 'IPv4' }, { address: '10.3.0.7', family: 'IPv4' }],
  } as never;
  assert.deepEqual(chooseAdvertiseIp('10.9.9.9', [], nics), { ip: '10.9.9.9', source: 'configured' });
  assert.deepEqual(chooseAdvertiseIp(null, ['192.168.168.168'], nics), { ip: '10.3.0.7', source: 'private' });
  assert.deepEqual(chooseAdvertiseIp(null, [], { lo: [{ address: '127.0.0.1', family: 'IPv4' }] } as never), { ip: '127.0.0.1', source: 'loopback' });
});

test('docs/configuration.md is generated from the schema (no drift)', () => {
  assert.equal(readFileSync('docs/configuration.md', 'utf8'), renderConfigurationDoc(), 'run `npm run gen:docs`');
});
