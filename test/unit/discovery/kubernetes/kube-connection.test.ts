import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../../src/core/index.js';
import { describeConnection, parseMiniYaml, resolveKubeConnection, type KubeConnectionSettings } from '../../../../src/discovery/kubernetes/index.js';

const clock = new FakeClock();
function settings(over: Partial<KubeConnectionSettings>): KubeConnectionSettings {
  return { kubeApiUrl: '', kubeApiIp: '', kubeApiPort: 0, kubeCredsPath: '/nonexistent', env: {}, clock, ...over };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kube-conn-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the Go settings: https only on port 443 (the quirk kept), default 127.0.0.1:8080', () => {
  assert.equal(resolveKubeConnection(settings({ kubeApiIp: '10.0.0.1', kubeApiPort: 443 })).baseUrl.href, 'https://10.0.0.1/');
  assert.equal(resolveKubeConnection(settings({ kubeApiIp: '10.0.0.1', kubeApiPort: 6443 })).baseUrl.href, 'http://10.0.0.1:6443/');
  assert.equal(resolveKubeConnection(settings({ kubeApiIp: '10.0.0.1' })).baseUrl.href, 'http://10.0.0.1:8080/');
  const defaults = resolveKubeConnection(settings({}));
  assert.equal(defaults.source, 'go-defaults');
  assert.equal(defaults.baseUrl.href, 'http://127.0.0.1:8080/');
});

test('order: --kube-api-url, then the Go settings, then the pod, then KUBECONFIG', () => {
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/nonexistent' };
  assert.equal(resolveKubeConnection(settings({ env, kubeApiUrl: 'https://api.example:6443', kubeApiIp: '1.2.3.4' })).source, 'kube-api-url');
  assert.equal(resolveKubeConnection(settings({ env, kubeApiPort: 443 })).source, 'go-settings');
  const pod = resolveKubeConnection(settings({ env }));
  assert.equal(pod.source, 'in-cluster');
  assert.equal(pod.baseUrl.href, 'https://10.96.0.1/');
  const v6 = resolveKubeConnection(settings({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' } }));
  assert.equal(v6.baseUrl.href, 'https://[fd00::1]:6443/');
  assert.throws(() => resolveKubeConnection(settings({ env: { KUBECONFIG: '/nonexistent/kubeconfig' } })), /KUBECONFIG: cannot read \/nonexistent\/kubeconfig/);
});

test('token and CA come from K8S_CREDS_PATH; the token is re-read when it rotates; the log line names no secret', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'token'), 'secret-token-1\n');
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const c = resolveKubeConnection(settings({ kubeCredsPath: dir, kubeApiUrl: 'https://10.0.0.1:6443' }));
    assert.equal(c.token.current(), 'secret-token-1');
    assert.ok(c.ca?.toString().includes('BEGIN CERTIFICATE'));
    writeFileSync(join(dir, 'token'), 'secret-token-2');
    assert.equal(c.token.current(), 'secret-token-1', 'cached for a minute');
    assert.equal(c.token.reload(), true, 'a 401 re-reads it');
    assert.equal(c.token.current(), 'secret-token-2');
    clock.advance(60_000);
    writeFileSync(join(dir, 'token'), 'secret-token-3');
    assert.equal(c.token.current(), 'secret-token-3', 're-read after a minute');
    const line = describeConnection(c);
    assert.match(line, /Kubernetes API at https:\/\/10\.0\.0\.1:6443, from --kube-api-url/);
    assert.match(line, /CA bundle/);
    assert.doesNotMatch(line, /secret-token/);
  });
});

test('KUBECONFIG: token and client-certificate users of the current context; exec plugins are refused by name', () => {
  withDir((dir) => {
    const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n').toString('base64');
    writeFileSync(join(dir, 'ca.pem'), 'CA-PEM');
    writeFileSync(
      join(dir, 'config'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- cluster:',
        '    certificate-authority: ca.pem',
        '    server: https://10.0.0.1:6443',
        '  name: prod',
        '- cluster:',
        '    server: "https://10.9.9.9:6443"  # another',
        '    insecure-skip-tls-verify: true',
        '  name: lab',
        'contexts:',
        '- context:',
        '    cluster: prod',
        '    user: sidecar',
        '  name: prod',
        '- context: {cluster: lab, user: robot}',
        '  name: lab-flow',
        '- context:',
        '    cluster: lab',
        '    user: robot',
        '  name: lab',
        '- context:',
        '    cluster: prod',
        '    user: eks',
        '  name: eks',
        'current-context: prod',
        'preferences: {}',
        'users:',
        '- name: sidecar',
        '  user:',
        "    token: 'abc.def'",
        '- name: robot',
        '  user:',
        `    client-certificate-data: ${cert}`,
        `    client-key-data: ${cert}`,
        '- name: eks',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        '      command: aws',
        '      args:',
        '      - eks',
        '      - get-token',
        '',
      ].join('\n'),
    );
    assert.throws(() => resolveKubeConnection(settings({ env: { KUBECONFIG: join(dir, 'config') } })), /YAML feature not supported here \(\{\)/, 'flow mappings with content are refused, not half read');
  });
  withDir((dir) => {
    const cert = Buffer.from('CERT').toString('base64');
    writeFileSync(join(dir, 'ca.pem'), 'CA-PEM');
    const kubeconfig = (current: string): string =>
      [
        'apiVersion: v1',
        'clusters:',
        '- cluster:',
        '    certificate-authority: ca.pem',
        '    server: https://10.0.0.1:6443',
        '  name: prod',
        '- cluster:',
        '    server: "https://10.9.9.9:6443"  # a comment',
        '    insecure-skip-tls-verify: true',
        '  name: lab',
        'contexts:',
        '- context:',
        '    cluster: prod',
        '    user: sidecar',
        '  name: prod',
        '- context:',
        '    cluster: lab',
        '    user: robot',
        '  name: lab',
        '- context:',
        '    cluster: prod',
        '    user: eks',
        '  name: eks',
        `current-context: ${current}`,
        'kind: Config',
        'preferences: {}',
        'users:',
        '- name: sidecar',
        '  user:',
        "    token: 'abc.def'",
        '- name: robot',
        '  user:',
        `    client-certificate-data: ${cert}`,
        `    client-key-data: ${cert}`,
        '- name: eks',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        '      command: aws',
        '      args:',
        '      - eks',
        '      - get-token',
        '',
      ].join('\n');
    const file = join(dir, 'config');
    writeFileSync(file, kubeconfig('prod'));
    const prod = resolveKubeConnection(settings({ env: { KUBECONFIG: `${file}:/other` } }));
    assert.equal(prod.source, 'kubeconfig');
    assert.equal(prod.baseUrl.href, 'https://10.0.0.1:6443/');
    assert.equal(prod.token.current(), 'abc.def');
    assert.equal(prod.ca?.toString(), 'CA-PEM', 'a relative certificate-authority is read next to the file');
    writeFileSync(file, kubeconfig('lab'));
    const lab = resolveKubeConnection(settings({ env: { KUBECONFIG: file } }));
    assert.equal(lab.baseUrl.href, 'https://10.9.9.9:6443/');
    assert.equal(lab.cert?.toString(), 'CERT');
    assert.equal(lab.insecureSkipTlsVerify, true);
    assert.match(describeConnection(lab), /client certificate, TLS verification OFF/);
    writeFileSync(file, kubeconfig('eks'));
    assert.throws(() => resolveKubeConnection(settings({ env: { KUBECONFIG: file } })), /uses "exec", which Sidecar does not support \(no exec plugins or auth providers\)/);
  });
});

test('mini YAML: kubectl\'s layout, quoting, comments, JSON; refuses what it cannot read', () => {
  assert.deepEqual(parseMiniYaml('a: 1\nb:\n- x\n- "y: z"\nc:\n  d: \'it\'\'s\'\n  e: true\n', 't'), { a: '1', b: ['x', 'y: z'], c: { d: "it's", e: true } });
  assert.deepEqual(parseMiniYaml('{"a": [1]}', 't'), { a: [1] });
  assert.deepEqual(parseMiniYaml('# only a comment\n', 't'), {});
  assert.throws(() => parseMiniYaml('a: |\n  text\n', 't'), /line 1: YAML feature not supported/);
  assert.throws(() => parseMiniYaml('a: 1\n   b: 2\n', 't'), /line 2: unexpected indentation/);
});
