import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKubeApi, nodeObject, podObject, serviceObject } from '../../helpers/fake-kube-api.js';
import { eventually } from '../../helpers/eventually.js';

/**
 * Keeps the fake API server honest: a real client, kubectl (Debian's `kubernetes-client`,
 * installed by scripts/kubernetes/install-kubectl.sh), must list and watch it as it would a
 * real API server. Skipped, saying why, only when no kubectl is installed.
 */
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const skip = kubectl.error !== undefined || kubectl.status !== 0 ? 'kubectl is not installed (scripts/kubernetes/install-kubectl.sh installs Debian\'s kubernetes-client)' : false;

function run(home: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', args, { env: { ...process.env, HOME: home, KUBECONFIG: join(home, 'none') }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

test('kubectl lists the fake API server: all namespaces, one namespace, field and label selectors', { skip }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'));
  const api = new FakeKubeApi();
  api.put('nodes', nodeObject('node-a', '10.1.0.5'));
  api.put('pods', podObject('web-1', 'node-a', { ServiceName: 'web' }));
  api.put('pods', podObject('web-2', 'node-b', { ServiceName: 'web' }, { namespace: 'other' }));
  api.put('pods', podObject('plain', 'node-a', { app: 'x' }));
  api.put('services', serviceObject('web-svc', 'web', [{ port: 10010, nodePort: 30010 }]));
  await api.start();
  const server = ['--server', api.url];
  try {
    const all = JSON.parse(await run(home, [...server, 'get', 'pods', '-A', '-o', 'json'])) as { items: Array<{ metadata: { name: string; namespace: string } }> };
    assert.deepEqual(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(), ['default/plain', 'default/web-1', 'other/web-2']);
    const onNode = JSON.parse(await run(home, [...server, 'get', 'pods', '-A', '-o', 'json', '--field-selector', 'spec.nodeName=node-a', '-l', 'ServiceName'])) as typeof all;
    assert.deepEqual(onNode.items.map((p) => p.metadata.name), ['web-1']);
    const names = await run(home, [...server, 'get', 'services', '-n', 'default', '-o', 'name']);
    assert.equal(names.trim(), 'service/web-svc');
    const node = JSON.parse(await run(home, [...server, 'get', 'node', 'node-a', '-o', 'json'])) as { status: { addresses: Array<{ type: string; address: string }> } };
    assert.equal(node.status.addresses[0]?.address, '10.1.0.5');
    const version = await run(home, [...server, 'version', '-o', 'json']);
    assert.match(version, /v1\.30\.0-fake/);
    // kubectl went through discovery and lists with resourceVersion-bearing answers.
    assert.ok(api.requests.some((r) => r.path === '/api' && r.status === 200));
    assert.ok(api.requests.some((r) => r.path === '/api/v1' && r.status === 200));
  } finally {
    await api.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

test('kubectl get pods -w -o json follows the fake\'s watch stream from the list\'s resourceVersion', { skip }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'));
  const api = new FakeKubeApi({ bookmarkIntervalMs: 100 });
  api.put('pods', podObject('web-1', 'node-a', { ServiceName: 'web' }));
  await api.start();
  const child = spawn('kubectl', ['--server', api.url, 'get', 'pods', '-w', '-o', 'json', '--field-selector', 'spec.nodeName=node-a'], {
    env: { ...process.env, HOME: home, KUBECONFIG: join(home, 'none') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await eventually(() => assert.match(out, /"name": "web-1"/, err), { timeoutMs: 15_000 });
    await eventually(() => assert.equal(api.openWatches, 1));
    const watch = api.requests.find((r) => r.verb === 'watch');
    const list = api.requests.find((r) => r.verb === 'list');
    assert.ok(watch !== undefined && list !== undefined);
    assert.equal(watch.query['fieldSelector'], 'spec.nodeName=node-a');
    assert.match(watch.query['resourceVersion'] ?? '', /^\d+$/, 'kubectl watches from the version of its list');
    // A new pod, a change, a pod of another node (filtered out), a deletion.
    api.put('pods', podObject('web-2', 'node-a', { ServiceName: 'web' }));
    api.put('pods', podObject('elsewhere', 'node-b', { ServiceName: 'web' }));
    api.put('pods', podObject('web-1', 'node-a', { ServiceName: 'web' }, { ready: false }));
    await eventually(() => {
      assert.match(out, /"name": "web-2"/);
      assert.match(out, /"status": "False"/);
    }, { timeoutMs: 10_000 });
    assert.doesNotMatch(out, /"name": "elsewhere"/);
    assert.equal(err.trim(), '', 'kubectl reports no error (bookmarks and all)');
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await api.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
