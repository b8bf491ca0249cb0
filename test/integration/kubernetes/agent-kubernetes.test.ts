import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';
import { throughProxy } from '../../helpers/through-proxy.js';
import { startAgent } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';
import { FakeKubeApi, nodeObject, podObject, serviceObject } from '../../helpers/fake-kube-api.js';

type StateDoc = { Servers: Record<string, { Services: Record<string, { ID: string; Name: string; Status: number; Ports: Array<{ Port: number; ServicePort: number; IP: string }> }> }> };
type ServicesDoc = { Services: Record<string, Array<{ ID: string; Status: number }>> };

/** A change in Kubernetes must reach the agent's catalog within this (issue #14). */
const WITHIN_MS = 1000;

test('bin/sidecar --discover kubernetes_api: pods in /api/services.json, readiness as status, deletion tombstoned, no HTTP check', async () => {
  const api = new FakeKubeApi({ bookmarkIntervalMs: 500 });
  api.put('nodes', nodeObject('k8s-node-1', '127.0.0.1'));
  api.put('services', serviceObject('web-svc', 'web', [{ port: 10010, nodePort: 30010 }]));
  api.put('pods', podObject('web-1', 'k8s-node-1', { ServiceName: 'web' }, { uid: 'pod-uid-1' }));
  api.put('pods', podObject('web-2', 'k8s-node-2', { ServiceName: 'web' }, { uid: 'pod-uid-2' }));
  await api.start();
  after(() => api.stop());

  const agent = startAgent(
    ['--hostname', 'k8s-node-1', '--discover', 'kubernetes_api', '--kube-api-url', api.url, '--http-port', '0', '--bind-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy'],
    { K8S_CREDS_PATH: '/nonexistent' },
  );
  after(() => agent.stop());
  const base = await agent.apiUrl();
  const local = async (): Promise<Map<string, { Status: number; Ports: Array<{ Port: number; ServicePort: number; IP: string }> }>> => {
    const state = (await (await fetch(`${base}/api/state.json`)).json()) as StateDoc;
    return new Map(Object.values(state.Servers['k8s-node-1']?.Services ?? {}).map((s) => [s.ID, s]));
  };

  await eventually(async () => {
    const services = (await (await fetch(`${base}/api/services.json`)).json()) as ServicesDoc;
    assert.deepEqual(services.Services['web']?.map((s) => [s.ID, s.Status]), [['pod-uid-1', 0]]);
  });
  assert.deepEqual((await local()).get('pod-uid-1')?.Ports, [{ Type: 'tcp', Port: 30010, ServicePort: 10010, IP: '127.0.0.1' }]);

  const timed = async (change: () => void, expect: (s: Awaited<ReturnType<typeof local>>) => void): Promise<number> => {
    const started = Date.now();
    change();
    await eventually(async () => expect(await local()), { timeoutMs: WITHIN_MS, intervalMs: 10 });
    return Date.now() - started;
  };
  const times: number[] = [];
  times.push(await timed(() => api.put('pods', podObject('web-1', 'k8s-node-1', { ServiceName: 'web' }, { uid: 'pod-uid-1', ready: false })), (s) => assert.equal(s.get('pod-uid-1')?.Status, 2)));
  times.push(await timed(() => api.put('pods', podObject('web-1', 'k8s-node-1', { ServiceName: 'web' }, { uid: 'pod-uid-1' })), (s) => assert.equal(s.get('pod-uid-1')?.Status, 0)));
  times.push(await timed(() => api.put('pods', podObject('web-3', 'k8s-node-1', { ServiceName: 'web' }, { uid: 'pod-uid-3' })), (s) => assert.equal(s.get('pod-uid-3')?.Status, 0)));
  times.push(await timed(() => api.put('pods', podObject('web-3', 'k8s-node-1', { ServiceName: 'web' }, { uid: 'pod-uid-3', deleting: true })), (s) => assert.equal(s.get('pod-uid-3')?.Status, 4)));
  times.push(await timed(() => api.remove('pods', 'web-3'), (s) => assert.equal(s.get('pod-uid-3')?.Status, 1)));
  process.stdout.write(`# pod change → agent catalog (ms): ${times.join(', ')}\n`);

  // The pods got an in-memory check, never an HTTP one against their NodePort.
  assert.ok(agent.logs.some((l) => l['msg'] === 'Adding health check' && l['type'] === 'AlwaysSuccessful'));
  assert.ok(!agent.logs.some((l) => l['msg'] === 'Adding health check' && l['type'] === 'HttpGet'));
  assert.ok(agent.logs.some((l) => /^Kubernetes API at http:\/\/127\.0\.0\.1:\d+, from --kube-api-url/.test(String(l['msg']))));
  // Steady state so far: one list of pods and one of services, whatever changed.
  assert.equal(api.count('list'), 2);
  assert.equal(await agent.stop(), 0);
});

test('the bridge: a legacy host reaches a Kubernetes service at its ServicePort through its own load balancer, and it leaves the rotation when its pod is not Ready', { timeout: 60_000 }, async (t) => {
  // The "NodePort" of the Kubernetes node: a TCP server on 127.0.0.1.
  const nodePort = createServer((s) => s.end('hello from the pod'));
  await new Promise<void>((resolve) => nodePort.listen(0, '127.0.0.1', resolve));
  after(() => nodePort.close());
  const nodePortNumber = (nodePort.address() as { port: number }).port;
  const servicePort = await freePort();

  const api = new FakeKubeApi();
  api.put('nodes', nodeObject('k8s-node', '127.0.0.1'));
  api.put('services', serviceObject('web-svc', 'web', [{ port: servicePort, nodePort: nodePortNumber }]));
  api.put('pods', podObject('web-1', 'k8s-node', { ServiceName: 'web', ProxyMode: 'tcp' }, { uid: 'pod-uid-1' }));
  await api.start();
  after(() => api.stop());

  const empty = join(mkdtempSync(join(tmpdir(), 'sidecar-bridge-')), 'static.json');
  writeFileSync(empty, '[]');
  const [seed, other] = [await freePort(), await freePort()];
  const common = ['--http-port', '0', '--advertise-ip', '127.0.0.1', '--proxy-slow-start', '0', '--cluster-ip', `127.0.0.1:${seed}`];
  // Host 2 runs on the Kubernetes node and announces its pods; host 1 is a legacy (static) host.
  const k8s = startAgent(['--hostname', 'k8s-node', '--discover', 'kubernetes_api', '--kube-api-url', api.url, '--bind-port', String(seed), '--no-proxy', ...common], { K8S_CREDS_PATH: '/nonexistent' });
  const legacy = startAgent(['--hostname', 'legacy', '--discover', 'static', '--static-config', empty, '--bind-port', String(other), '--proxy-bind-ip', '127.0.0.3', ...common]);
  after(() => Promise.all([k8s.stop(), legacy.stop()]));
  const legacyApi = await legacy.apiUrl();
  await k8s.apiUrl();
  const statusOnLegacy = async (): Promise<number | undefined> => {
    const doc = (await (await fetch(`${legacyApi}/api/services.json`)).json()) as ServicesDoc;
    return doc.Services['web']?.[0]?.Status;
  };

  await eventually(async () => assert.equal(await statusOnLegacy(), 0), { timeoutMs: 10_000, intervalMs: 50 });
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), 'hello from the pod'), { timeoutMs: 5000, intervalMs: 100 });

  const notReadyAt = Date.now();
  api.put('pods', podObject('web-1', 'k8s-node', { ServiceName: 'web', ProxyMode: 'tcp' }, { uid: 'pod-uid-1', ready: false }));
  await eventually(async () => assert.equal(await statusOnLegacy(), 2), { timeoutMs: 3000, intervalMs: 20 });
  const unhealthyMs = Date.now() - notReadyAt;
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), ''), { timeoutMs: 3000, intervalMs: 50 });
  const outMs = Date.now() - notReadyAt;

  const readyAt = Date.now();
  api.put('pods', podObject('web-1', 'k8s-node', { ServiceName: 'web', ProxyMode: 'tcp' }, { uid: 'pod-uid-1' }));
  await eventually(async () => assert.equal(await throughProxy('127.0.0.3', servicePort), 'hello from the pod'), { timeoutMs: 5000, intervalMs: 50 });
  t.diagnostic(`pod not Ready → UNHEALTHY on the legacy host after ${unhealthyMs} ms, out of its rotation after ${outMs} ms; Ready again → routed after ${Date.now() - readyAt} ms`);
});
