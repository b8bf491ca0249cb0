import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseTimestamp } from '../../../../src/core/index.js';
import { ServiceStatus } from '../../../../src/catalog/index.js';
import { indexServices, internalIp, mapPod, podStatus, type KubeNode, type KubeService, type Pod } from '../../../../src/discovery/kubernetes/index.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(`test/fixtures/kubernetes/${name}`, 'utf8')) as T;
const pod = fixture<Pod>('pod-ready.json');
const service = fixture<KubeService>('service-nodeport.json');
const node = fixture<KubeNode>('node.json');
const NODE = 'ip-10-3-14-201.ec2.internal';

function withLabels(p: Pod, labels: Record<string, string>): Pod {
  return { ...p, metadata: { ...p.metadata, labels: { ...p.metadata?.labels, ...labels } } };
}

test('a ready pod maps as the Go Sidecar maps it', () => {
  const ip = internalIp(node);
  assert.equal(ip, '10.3.14.201');
  const mapped = mapPod(pod, indexServices([service]), NODE, ip ?? '', 'agent-1');
  assert.ok(mapped !== null);
  assert.deepEqual(mapped.service, {
    id: '3f0c2a52-6a1e-4a8b-9d1e-2b1f0f6f7c11',
    name: 'chaucer',
    image: 'registry.example.com/chaucer:1.42.0',
    created: parseTimestamp('2026-03-11T09:14:07Z'),
    hostname: 'agent-1',
    ports: [
      { type: 'tcp', port: 30010, servicePort: 10010, ip: '10.3.14.201' },
      { type: 'tcp', port: 30011, servicePort: 10011, ip: '10.3.14.201' },
    ],
    updated: parseTimestamp('2026-03-11T09:14:07Z'),
    proxyMode: 'http',
    status: ServiceStatus.ALIVE,
  });
  assert.equal(mapped.status, ServiceStatus.ALIVE);
});

test('Go quirks kept: ProxyMode exactly tcp or ws else http; ports without a nodePort skipped; targetPort not read', () => {
  const index = indexServices([service]);
  assert.equal(mapPod(withLabels(pod, { ProxyMode: 'tcp' }), index, NODE, '10.0.0.1', 'a')?.service.proxyMode, 'tcp');
  assert.equal(mapPod(withLabels(pod, { ProxyMode: 'ws' }), index, NODE, '10.0.0.1', 'a')?.service.proxyMode, 'ws');
  assert.equal(mapPod(withLabels(pod, { ProxyMode: 'TCP' }), index, NODE, '10.0.0.1', 'a')?.service.proxyMode, 'http');
  const clusterIpOnly: KubeService = { ...service, spec: { ports: [{ port: 10010, nodePort: 0 }, { port: 10012 }] } };
  assert.deepEqual(mapPod(pod, indexServices([clusterIpOnly]), NODE, '10.0.0.1', 'a')?.service.ports, []);
  // A pod whose Service does not exist (yet) is announced without ports, as in Go.
  assert.deepEqual(mapPod(pod, new Map(), NODE, '10.0.0.1', 'a')?.service.ports, []);
});

test('left out: no ServiceName, SidecarDiscover=false, another node, no UID, finished pods', () => {
  const index = indexServices([service]);
  const noName: Pod = { ...pod, metadata: { ...pod.metadata, labels: { app: 'x' } } };
  assert.equal(mapPod(noName, index, NODE, '10.0.0.1', 'a'), null);
  assert.equal(mapPod(withLabels(pod, { SidecarDiscover: 'false' }), index, NODE, '10.0.0.1', 'a'), null);
  assert.notEqual(mapPod(withLabels(pod, { SidecarDiscover: 'true' }), index, NODE, '10.0.0.1', 'a'), null);
  assert.equal(mapPod(pod, index, 'other-node', '10.0.0.1', 'a'), null);
  assert.equal(mapPod({ ...pod, metadata: { ...pod.metadata, uid: '' } }, index, NODE, '10.0.0.1', 'a'), null);
  assert.equal(mapPod({ ...pod, status: { ...pod.status, phase: 'Succeeded' } }, index, NODE, '10.0.0.1', 'a'), null);
  assert.equal(mapPod({ ...pod, status: { ...pod.status, phase: 'Failed' } }, index, NODE, '10.0.0.1', 'a'), null);
});

test('readiness is the status (Go announced every pod ALIVE): not Ready → UNHEALTHY, deleting → DRAINING', () => {
  const notReady: Pod = { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } };
  assert.equal(podStatus(pod), ServiceStatus.ALIVE);
  assert.equal(podStatus(notReady), ServiceStatus.UNHEALTHY);
  assert.equal(podStatus({ ...pod, status: { phase: 'Pending' } }), ServiceStatus.UNHEALTHY);
  assert.equal(podStatus({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-03-11T10:00:00Z' } }), ServiceStatus.DRAINING);
  assert.equal(podStatus({ ...notReady, metadata: { ...pod.metadata, deletionTimestamp: '2026-03-11T10:00:00Z' } }), ServiceStatus.DRAINING);
});

test('Services are keyed by namespace and label (Go: by label across namespaces, last one wins); the older of two wins', () => {
  const other: KubeService = { ...service, metadata: { ...service.metadata, namespace: 'staging', name: 'chaucer' }, spec: { ports: [{ port: 10010, nodePort: 31010 }] } };
  const newer: KubeService = { ...service, metadata: { ...service.metadata, name: 'chaucer-2', creationTimestamp: '2026-02-01T00:00:00Z' }, spec: { ports: [{ port: 1, nodePort: 31999 }] } };
  for (const order of [[service, other, newer], [newer, other, service]]) {
    const index = indexServices(order);
    assert.deepEqual(mapPod(pod, index, NODE, '10.0.0.1', 'a')?.service.ports?.map((p) => p.port), [30010, 30011]);
    const stagingPod: Pod = { ...pod, metadata: { ...pod.metadata, namespace: 'staging' } };
    assert.deepEqual(mapPod(stagingPod, index, NODE, '10.0.0.1', 'a')?.service.ports?.map((p) => p.port), [31010]);
  }
});
