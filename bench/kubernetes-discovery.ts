/**
 * Kubernetes discovery against the in-process fake API server (test/helpers/fake-kube-api.ts):
 *   - time from a pod change on the server (readiness lost / back) to the new status in the
 *     source (the agent-level test shows the rest of the way to the catalog takes ~15 ms);
 *   - requests the agent sends in a steady-state window (lists, watches, gets), beside the Go
 *     Sidecar's 3 lists every 5 s (36 a minute per node);
 *   - the thin client's size: the esbuild bundle of src/discovery/kubernetes (minified), and
 *     the heap held with `pods` pods known.
 * Usage: node --import tsx bench/kubernetes-discovery.ts [pods=100] [samples=50] [steadySeconds=10]
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { silentLogger, systemClock } from '../src/core/index.js';
import { KubernetesDiscovery } from '../src/discovery/index.js';
import { FakeKubeApi, nodeObject, podObject, serviceObject } from '../test/helpers/fake-kube-api.js';

const PODS = Number(process.argv[2] ?? 100);
const SAMPLES = Number(process.argv[3] ?? 50);
const STEADY_S = Number(process.argv[4] ?? 10);
const NODE = 'bench-node';

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const api = new FakeKubeApi({ bookmarkIntervalMs: 60_000 });
  let discovery: KubernetesDiscovery | undefined;
  const stop = async (): Promise<void> => {
    await discovery?.close();
    await api.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    api.put('nodes', nodeObject(NODE, '10.0.0.5'));
    for (let s = 0; s < 10; s++) api.put('services', serviceObject(`svc-${s}`, `svc-${s}`, [{ port: 10000 + s, nodePort: 30000 + s }]));
    for (let i = 0; i < PODS; i++) api.put('pods', podObject(`pod-${i}`, NODE, { ServiceName: `svc-${i % 10}` }, { uid: `uid-${i}` }));
    // Pods of other nodes, which the field selector keeps on the server.
    for (let i = 0; i < PODS; i++) api.put('pods', podObject(`other-${i}`, 'other-node', { ServiceName: `svc-${i % 10}` }));
    await api.start();

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    discovery = new KubernetesDiscovery({
      kubeApiUrl: api.url, kubeApiIp: '', kubeApiPort: 0, kubeCredsPath: '/nonexistent', namespace: 'default', nodeName: NODE,
      hostname: NODE, advertiseIp: '10.0.0.5', timeoutMs: 3000, env: {}, clock: systemClock, logger: silentLogger(),
    });
    await discovery.start();
    const startMs = performance.now() - started;
    if (discovery.services().length !== PODS) throw new Error(`expected ${PODS} services, got ${discovery.services().length}`);
    global.gc?.();
    const heapHeld = process.memoryUsage().heapUsed - heapBefore;

    // Change → source: flip one pod's readiness and wait for the status.
    const d = discovery;
    const latencies: number[] = [];
    for (let n = 0; n < SAMPLES; n++) {
      const i = Math.floor(n / 2) % PODS;
      // Even samples take a pod's readiness away, odd ones give it back.
      const ready = n % 2 === 1;
      const want = ready ? 0 : 2;
      const seen = new Promise<void>((resolve) => {
        const sub = d.onDidChange(() => {
          if (d.statusOf(`uid-${i}`) === want) {
            sub.dispose();
            resolve();
          }
        });
      });
      const t0 = performance.now();
      api.put('pods', podObject(`pod-${i}`, NODE, { ServiceName: `svc-${i % 10}` }, { uid: `uid-${i}`, ready }));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([seen, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`sample ${n}: no change within 5 s`)), 5000)))]);
      clearTimeout(timer);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);

    // Steady state: nothing changes; count what the agent asks.
    const before = api.requests.length;
    const cpu0 = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, STEADY_S * 1000));
    const cpu = process.cpuUsage(cpu0);
    const steady = api.requests.slice(before);

    const bundle = await build({ entryPoints: ['src/discovery/kubernetes/index.ts'], bundle: true, minify: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    const bytes = bundle.outputFiles[0]?.contents ?? new Uint8Array();

    const out = process.stdout;
    out.write(`Kubernetes discovery, ${PODS} pods on this node (+${PODS} on another), ${SAMPLES} readiness flips, ${STEADY_S} s steady state\n\n`);
    out.write('| measure | value |\n|---|---|\n');
    out.write(`| start() to ${PODS} pods known (list pods + services, GET node) | ${startMs.toFixed(1)} ms |\n`);
    out.write(`| pod change → source status, p50 / p99 / max | ${pct(latencies, 50).toFixed(2)} / ${pct(latencies, 99).toFixed(2)} / ${(latencies.at(-1) ?? NaN).toFixed(2)} ms |\n`);
    out.write(`| requests in ${STEADY_S} s steady state (lists / watches / gets) | ${steady.filter((r) => r.verb === 'list').length} / ${steady.filter((r) => r.verb === 'watch').length} / ${steady.filter((r) => r.verb === 'get').length} |\n`);
    out.write(`| steady-state requests per node per minute | ${((steady.length / STEADY_S) * 60).toFixed(2)} measured; by design 2 watch renewals per 300-600 s = 0.2-0.4 (Go Sidecar: 36 lists) |\n`);
    out.write(`| CPU at steady state | ${(((cpu.user + cpu.system) / 1000 / (STEADY_S * 1000)) * 100).toFixed(2)} % of one core |\n`);
    out.write(`| heap held with ${PODS} pods known${global.gc === undefined ? ' (run with --expose-gc for a clean figure)' : ''} | ${(heapHeld / 1024).toFixed(0)} KiB |\n`);
    out.write(`| client bundle (src/discovery/kubernetes, esbuild, minified / gzip) | ${(bytes.length / 1024).toFixed(1)} KiB / ${(gzipSync(bytes).length / 1024).toFixed(1)} KiB, 0 dependencies |\n`);
  } finally {
    await stop();
  }
}

await main();
