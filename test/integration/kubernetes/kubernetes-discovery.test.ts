import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/index.js';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { KubernetesDiscovery, type KubernetesDiscoveryOptions } from '../../../src/discovery/index.js';
import { FakeKubeApi, nodeObject, podObject, serviceObject } from '../../helpers/fake-kube-api.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLogger, LEVEL } from '../../helpers/log-capture.js';

const NODE = 'node-a';
/** Every change must reach discovery within this (the goal). */
const WITHIN_MS = 1000;

interface Setup {
  readonly api: FakeKubeApi;
  readonly discovery: KubernetesDiscovery;
  readonly records: ReturnType<typeof captureLogger>['records'];
  readonly close: () => Promise<void>;
}

async function setup(opts: { api?: FakeKubeApi; discovery?: Partial<KubernetesDiscoveryOptions>; seed?: (api: FakeKubeApi) => void } = {}): Promise<Setup> {
  const api = opts.api ?? new FakeKubeApi({ bookmarkIntervalMs: 200 });
  api.put('nodes', nodeObject(NODE, '10.1.0.5'));
  api.put('nodes', nodeObject('node-b', '10.1.0.6'));
  api.put('services', serviceObject('web-svc', 'web', [{ port: 10010, nodePort: 30010 }, { port: 10011 }]));
  opts.seed?.(api);
  if (api.port === 0) await api.start();
  const { logger, records } = captureLogger();
  const discovery = new KubernetesDiscovery({
    kubeApiUrl: api.url,
    kubeApiIp: '',
    kubeApiPort: 0,
    kubeCredsPath: '/nonexistent',
    namespace: 'default',
    nodeName: NODE,
    hostname: 'agent-a',
    advertiseIp: '192.0.2.1',
    timeoutMs: 2000,
    env: {},
    clock: systemClock,
    logger,
    retryMinMs: 50,
    retryMaxMs: 200,
    ...opts.discovery,
  });
  await discovery.start();
  return {
    api,
    discovery,
    records,
    close: async () => {
      await discovery.close();
      await api.stop();
    },
  };
}

function byName(d: KubernetesDiscovery): Map<string, { id: string; status: number | undefined }> {
  return new Map(d.services().map((s) => [s.name, { id: s.id, status: d.statusOf(s.id) }]));
}

test('a ready pod of this node is announced with the Go mapping; other nodes, unlabelled and opted-out pods are not', async () => {
  const s = await setup({
    seed: (api) => {
      api.put('pods', podObject('web-1', NODE, { ServiceName: 'web', ProxyMode: 'tcp' }, { uid: 'uid-web-1', image: 'web:1.2' }));
      api.put('pods', podObject('web-2', 'node-b', { ServiceName: 'web' }));
      api.put('pods', podObject('plain', NODE, { app: 'plain' }));
      api.put('pods', podObject('hidden', NODE, { ServiceName: 'web', SidecarDiscover: 'false' }));
    },
  });
  try {
    const services = s.discovery.services();
    assert.equal(services.length, 1);
    const [svc] = services;
    assert.ok(svc !== undefined);
    assert.equal(svc.id, 'uid-web-1');
    assert.equal(svc.name, 'web');
    assert.equal(svc.image, 'web:1.2');
    assert.equal(svc.hostname, 'agent-a');
    assert.equal(svc.proxyMode, 'tcp');
    assert.ok(svc.created > 0n);
    // Only the port with a nodePort, on the node's InternalIP.
    assert.deepEqual(svc.ports, [{ type: 'tcp', port: 30010, servicePort: 10010, ip: '10.1.0.5' }]);
    assert.equal(s.discovery.statusOf(svc.id), ServiceStatus.ALIVE);
    assert.deepEqual(s.discovery.healthCheck(svc), { type: 'AlwaysSuccessful', args: '' });
    // Server-side selection: only this node's labelled pods were asked for.
    const podList = s.api.requests.find((r) => r.verb === 'list' && r.resource === 'pods');
    assert.equal(podList?.query['fieldSelector'], `spec.nodeName=${NODE}`);
    assert.equal(podList?.query['labelSelector'], 'ServiceName,SidecarDiscover!=false');
    assert.ok(s.records.some((r) => r.level === LEVEL.info && /Kubernetes API at http:\/\/127\.0\.0\.1:\d+, from --kube-api-url/.test(r.msg)), 'the connection is logged');
  } finally {
    await s.close();
  }
});

test('readiness is health: lost → UNHEALTHY, back → ALIVE, new pod → ALIVE, deletionTimestamp → DRAINING, deleted → gone, each within 1 s', async () => {
  const s = await setup({ seed: (api) => api.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' })) });
  let changes = 0;
  const sub = s.discovery.onDidChange(() => changes++);
  const within = (check: () => void): Promise<void> => eventually(check, { timeoutMs: WITHIN_MS, intervalMs: 5 });
  try {
    assert.equal(byName(s.discovery).get('web')?.status, ServiceStatus.ALIVE);
    s.api.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1', ready: false }));
    await within(() => assert.equal(s.discovery.statusOf('u1'), ServiceStatus.UNHEALTHY));
    s.api.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' }));
    await within(() => assert.equal(s.discovery.statusOf('u1'), ServiceStatus.ALIVE));
    s.api.put('pods', podObject('web-2', NODE, { ServiceName: 'web' }, { uid: 'u2' }));
    await within(() => assert.equal(s.discovery.statusOf('u2'), ServiceStatus.ALIVE));
    s.api.put('pods', podObject('web-2', NODE, { ServiceName: 'web' }, { uid: 'u2', deleting: true }));
    await within(() => assert.equal(s.discovery.statusOf('u2'), ServiceStatus.DRAINING));
    s.api.remove('pods', 'web-2');
    await within(() => assert.deepEqual(s.discovery.services().map((x) => x.id), ['u1']));
    assert.equal(s.discovery.statusOf('u2'), undefined);
    // A label change that moves a pod out of the selection removes it too.
    s.api.put('pods', podObject('web-1', NODE, { ServiceName: 'web', SidecarDiscover: 'false' }, { uid: 'u1' }));
    await within(() => assert.equal(s.discovery.services().length, 0));
    assert.ok(changes >= 6, `onDidChange fired ${changes} times`);
    // A Service change (new nodePort) reaches the pods' ports.
    s.api.put('pods', podObject('web-3', NODE, { ServiceName: 'web' }, { uid: 'u3' }));
    s.api.put('services', serviceObject('web-svc', 'web', [{ port: 10010, nodePort: 30099 }]));
    await within(() => assert.deepEqual(s.discovery.services()[0]?.ports?.map((p) => p.port), [30099]));
  } finally {
    sub.dispose();
    await s.close();
  }
});

test('Services are matched in the pod\'s own namespace (the Go Sidecar let the last one listed win across namespaces)', async () => {
  const s = await setup({
    discovery: { namespace: '*' },
    seed: (api) => {
      api.put('services', serviceObject('web-svc', 'web', [{ port: 10020, nodePort: 30020 }], 'other'));
      api.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'd1' }));
      api.put('pods', podObject('web-9', NODE, { ServiceName: 'web' }, { uid: 'o1', namespace: 'other' }));
    },
  });
  try {
    const ports = new Map(s.discovery.services().map((x) => [x.id, x.ports?.map((p) => `${p.servicePort}:${p.port}`)]));
    assert.deepEqual(ports.get('d1'), ['10010:30010']);
    assert.deepEqual(ports.get('o1'), ['10020:30020']);
    assert.ok(s.api.requests.some((r) => r.verb === 'watch' && r.path === '/api/v1/pods'), 'all namespaces are watched');
  } finally {
    await s.close();
  }
});

test('watches ending, a 410 Gone and a server restart are survived with nothing lost; steady state sends no list', async () => {
  const s = await setup({ seed: (api) => api.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' })) });
  try {
    await eventually(() => assert.equal(s.api.openWatches, 2));
    const listsAfterStart = s.api.count('list');
    assert.equal(listsAfterStart, 2, 'one list of pods and one of services');

    // The server ends every watch: renewed from the last version, without a list.
    s.api.endWatches();
    s.api.put('pods', podObject('web-2', NODE, { ServiceName: 'web' }, { uid: 'u2' }));
    await eventually(() => assert.equal(s.discovery.statusOf('u2'), ServiceStatus.ALIVE), { timeoutMs: WITHIN_MS });
    assert.equal(s.api.count('list'), listsAfterStart);
    // Watches resumed from a version: no ADDED replay was needed.
    assert.ok(s.api.requests.filter((r) => r.verb === 'watch').every((r) => r.query['resourceVersion'] !== undefined && r.query['allowWatchBookmarks'] === 'true'));

    // 410: the watches end, a change is made and the history compacted before they come
    // back, so their version is too old and a relist follows.
    await eventually(() => assert.equal(s.api.openWatches, 2));
    s.api.endWatches();
    s.api.remove('pods', 'web-1');
    s.api.compact();
    await eventually(() => assert.deepEqual(s.discovery.services().map((x) => x.id), ['u2']), { timeoutMs: WITHIN_MS });
    assert.ok(s.api.count('list', 'pods') >= 2, 'the pods were listed again after 410');
    assert.ok(s.records.some((r) => /410 Gone/.test(r.msg)));

    // Restart: the last known pods are kept while the server is away.
    const port = s.api.port;
    await s.api.stop();
    await eventually(() => assert.ok(s.records.some((r) => r.level === LEVEL.warn && /keeping the last known pods/.test(r.msg))));
    assert.deepEqual(s.discovery.services().map((x) => x.id), ['u2'], 'kept while the API server is away');
    s.api.put('pods', podObject('web-3', NODE, { ServiceName: 'web' }, { uid: 'u3' }));
    await s.api.start(port);
    await eventually(() => assert.deepEqual(s.discovery.services().map((x) => x.id), ['u2', 'u3']), { timeoutMs: 2000 });
    assert.ok(s.records.some((r) => /answers again/.test(r.msg)));

    // Steady state: bookmarks flow, nothing is listed.
    await eventually(() => assert.equal(s.api.openWatches, 2));
    const lists = s.api.count('list');
    const bookmarks = s.api.bookmarksSent;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(s.api.count('list'), lists, 'no list request in steady state');
    assert.ok(s.api.bookmarksSent > bookmarks, 'bookmarks arrive on the open watches');
  } finally {
    await s.close();
  }
});

test('a 410 answered as an HTTP status also relists', async () => {
  const api = new FakeKubeApi({ expireWithHttpStatus: true });
  const s = await setup({ api, seed: (a) => a.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' })) });
  try {
    await eventually(() => assert.equal(s.api.openWatches, 2));
    s.api.endWatches();
    s.api.put('pods', podObject('web-2', NODE, { ServiceName: 'web' }, { uid: 'u2' }));
    s.api.compact();
    await eventually(() => assert.equal(s.discovery.services().length, 2), { timeoutMs: WITHIN_MS });
    assert.ok(s.api.count('list', 'pods') >= 2);
  } finally {
    await s.close();
  }
});

test('a rotated token is re-read on 401; a 403 names the missing RBAC verbs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-creds-'));
  try {
    writeFileSync(join(dir, 'token'), 'token-1\n');
    const api = new FakeKubeApi({ tokens: new Set(['token-1']) });
    const s = await setup({ api, discovery: { kubeCredsPath: dir }, seed: (a) => a.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' })) });
    try {
      assert.equal(s.discovery.services().length, 1);
      // The token rotates: the old one is refused from now on.
      writeFileSync(join(dir, 'token'), 'token-2\n');
      api.options.tokens = new Set(['token-2']);
      s.api.endWatches();
      s.api.put('pods', podObject('web-2', NODE, { ServiceName: 'web' }, { uid: 'u2' }));
      await eventually(() => assert.equal(s.discovery.services().length, 2), { timeoutMs: WITHIN_MS });
      assert.ok(s.api.requests.some((r) => r.status === 401), 'the old token was refused once');
      assert.ok(!s.records.some((r) => r.level >= LEVEL.warn && /401/.test(r.msg)), 'a rotation is not a problem worth a warning');
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const forbidden = new FakeKubeApi({ forbid: new Set(['list pods', 'get nodes']) });
  const s = await setup({ api: forbidden, discovery: { startWaitMs: 300 } });
  try {
    await eventually(() => {
      const msgs = s.records.filter((r) => r.level === LEVEL.warn).map((r) => `${r['code'] as string} ${r.msg}`);
      assert.ok(msgs.some((m) => /SC_ERR_KUBERNETES_DENIED .*403 Forbidden: RBAC denies "list" on "pods"; the agent needs get, list and watch on pods, services and nodes/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /RBAC denies "get" on "nodes"/.test(m)), msgs.join('\n'));
    });
    assert.deepEqual(s.discovery.services(), []);
  } finally {
    await s.close();
  }
});

test('an oversized watch line or list body is refused before it is parsed', async () => {
  const { createServer } = await import('node:http');
  const big = 'x'.repeat(6 * 1024 * 1024);
  const server = createServer((req, res) => {
    if (req.url?.includes('watch=true') === true) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`{"type":"ADDED","object":{"metadata":{"name":"${big}`);
      return;
    }
    if (req.url?.startsWith('/api/v1/nodes') === true) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ metadata: { name: NODE }, status: { addresses: [{ type: 'InternalIP', address: '10.1.0.5' }] } }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '5' }, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const { logger, records } = captureLogger();
  const d = new KubernetesDiscovery({
    kubeApiUrl: `http://127.0.0.1:${port}`, kubeApiIp: '', kubeApiPort: 0, kubeCredsPath: '/nonexistent', namespace: 'default',
    nodeName: NODE, hostname: 'agent-a', advertiseIp: '192.0.2.1', timeoutMs: 2000, env: {}, clock: systemClock, logger, retryMinMs: 50, retryMaxMs: 100,
  });
  try {
    await d.start();
    await eventually(() => assert.ok(records.some((r) => /a line exceeds 4194304 bytes/.test(r.msg)), records.map((r) => r.msg).join('\n')));
  } finally {
    await d.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a node that cannot be read (no "get nodes" right): ports use the advertise IP and the reason is logged', async () => {
  const api = new FakeKubeApi({ forbid: new Set(['get nodes']) });
  const s = await setup({ api, seed: (a) => a.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' })) });
  try {
    await eventually(() => assert.deepEqual(s.discovery.services()[0]?.ports, [{ type: 'tcp', port: 30010, servicePort: 10010, ip: '192.0.2.1' }]));
    assert.ok(s.records.some((r) => r.level === LEVEL.warn && /RBAC denies "get" on "nodes".*advertise IP 192\.0\.2\.1/.test(r.msg)));
  } finally {
    await s.close();
  }
});

test('lists come in pages of 500 (limit/continue), all announced', async () => {
  const s = await setup({
    seed: (api) => {
      for (let i = 0; i < 1203; i++) api.put('pods', podObject(`web-${i}`, NODE, { ServiceName: 'web' }, { uid: `u${String(i).padStart(4, '0')}` }));
    },
  });
  try {
    assert.equal(s.discovery.services().length, 1203);
    const pages = s.api.requests.filter((r) => r.verb === 'list' && r.resource === 'pods');
    assert.deepEqual(pages.map((r) => [r.query['limit'], r.query['continue']]), [['500', undefined], ['500', '500'], ['500', '1000']]);
    assert.equal(s.discovery.requestCounts.lists, 2, 'one list (of three pages) of pods and one of services');
  } finally {
    await s.close();
  }
});

test('in a pod: https to KUBERNETES_SERVICE_HOST/_PORT, trusting the service account\'s ca.crt, with its token', async () => {
  const { execFileSync } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'k8s-sa-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'ca.crt')], { stdio: 'ignore' });
    writeFileSync(join(dir, 'token'), 'sa-token');
    const api = new FakeKubeApi({ tokens: new Set(['sa-token']), tls: { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') } });
    await api.start();
    const s = await setup({
      api,
      discovery: { kubeApiUrl: '', kubeCredsPath: dir, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) } },
      seed: (a) => a.put('pods', podObject('web-1', NODE, { ServiceName: 'web' }, { uid: 'u1' })),
    });
    try {
      assert.deepEqual(s.discovery.services().map((x) => x.id), ['u1']);
      assert.ok(s.records.some((r) => /Kubernetes API at https:\/\/127\.0\.0\.1:\d+, from the pod's service account .*token file .*CA bundle/.test(r.msg)));
    } finally {
      await s.close();
    }
    // Without the CA the certificate is refused (nothing announced, the reason logged).
    rmSync(join(dir, 'ca.crt'));
    const untrusted = new FakeKubeApi({ tls: api.options.tls ?? { cert: '', key: '' } });
    await untrusted.start();
    const u = await setup({ api: untrusted, discovery: { kubeApiUrl: '', kubeCredsPath: dir, startWaitMs: 300, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(untrusted.port) } } });
    try {
      assert.deepEqual(u.discovery.services(), []);
      await eventually(() => assert.ok(u.records.some((r) => r['code'] === 'SC_ERR_KUBERNETES_UNREACHABLE' && /certificate/i.test(r.msg)), u.records.map((r) => r.msg).join('\n')));
    } finally {
      await u.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
