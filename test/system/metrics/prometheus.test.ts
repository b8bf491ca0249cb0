/**
 * `/metrics` with real agents and a real Prometheus: a 2-agent cluster on loopback (agent 1
 * owns an HTTP service and forwards with 2 worker threads, agent 2 reaches it through its own
 * proxy), load through both proxies, then:
 * - each agent's `/metrics` has every `sidecar_` family of the table, with live values;
 * - Debian's `promtool check metrics` passes on both;
 * - Debian's `prometheus` (started here: 1 s scrapes, a temporary storage dir, a free web port,
 *   stopped at the end) scrapes both agents and answers a PromQL query about the proxy traffic.
 * Skips when promtool or prometheus is missing (scripts/metrics/install-prometheus.sh), except
 * under CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAMILIES } from '../../../src/metrics/index.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const installed = ['promtool', 'prometheus'].every((cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0);
const inCi = process.env['CI'] === 'true';
const skip = installed || inCi ? false : 'promtool/prometheus are not installed (run scripts/metrics/install-prometheus.sh, or apt-get install prometheus)';

const REQUESTS = 40;

async function get(url: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** The value of the sample `series` (`name{labels}` exactly as printed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

describe('/metrics scraped by a real Prometheus', { skip }, () => {
  const dirs: string[] = [];
  const agents: AgentProcess[] = [];
  let backend: Server | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let servicePort = 0;
  let api1 = '';
  let api2 = '';

  before(async () => {
    assert.ok(installed, 'promtool and prometheus must be installed in CI (.ci/run runs scripts/metrics/install-prometheus.sh)');
    backend = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => backend?.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as { port: number }).port;
    servicePort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-metrics-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'web.json'),
      JSON.stringify([
        {
          Service: { Name: 'web', Image: 'web:1', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: servicePort, IP: '127.0.0.1' }], ProxyMode: 'http' },
          Check: { Type: 'HttpGet', Args: `http://127.0.0.1:${backendPort}/` },
        },
      ]),
    );
    writeFileSync(join(dir, 'none.json'), '[]');
    const cluster = `metrics-${process.pid}`;
    const gossip1 = await freePort();
    const common = ['--cluster-name', cluster, '--discover', 'static', '--http-port', '0', '--advertise-ip', '127.0.0.1', '--proxy-slow-start', '0'];
    const a1 = startAgent([...common, '--hostname', 'm1', '--static-config', join(dir, 'web.json'), '--bind-port', String(gossip1), '--proxy-bind-ip', '127.0.0.1', '--proxy-workers', '2']);
    agents.push(a1);
    api1 = await a1.apiUrl();
    const a2 = startAgent([...common, '--hostname', 'm2', '--static-config', join(dir, 'none.json'), '--bind-port', String(await freePort()), '--proxy-bind-ip', '127.0.0.2', '--cluster-ip', `127.0.0.1:${gossip1}`]);
    agents.push(a2);
    api2 = await a2.apiUrl();
    // Load through both proxies once agent 2 routes the service.
    for (const ip of ['127.0.0.2', '127.0.0.1']) {
      await eventually(async () => assert.equal((await get(`http://${ip}:${servicePort}/`)).text, 'hello'), { timeoutMs: 20_000, intervalMs: 200 });
      for (let i = 0; i < REQUESTS; i++) assert.equal((await get(`http://${ip}:${servicePort}/`)).status, 200);
    }
  });

  after(async () => {
    if (prometheus !== undefined) await stopChild(prometheus);
    await Promise.all(agents.map((a) => a.stop()));
    await new Promise((resolve) => (backend === undefined ? resolve(undefined) : backend.close(resolve)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('each agent shows every family with live values, in the text format', async () => {
    // Probes run once a second: give the first ones a moment.
    await eventually(async () => {
      const [m1, m2] = await Promise.all([get(`${api1}/metrics`), get(`${api2}/metrics`)]);
      checkFamilies(m1, m2);
    }, { timeoutMs: 10_000, intervalMs: 250 });
  });

  function checkFamilies(m1: { status: number; text: string; type: string | null }, m2: { text: string }): void {
    assert.equal(m1.status, 200);
    assert.match(m1.type ?? '', /^text\/plain; version=0\.0\.4/);
    for (const f of Object.values(FAMILIES)) {
      assert.ok(m1.text.includes(`# TYPE ${f.name} ${f.type}\n`), `agent 1 lacks ${f.name}`);
      assert.ok(m2.text.includes(`# TYPE ${f.name} ${f.type}\n`), `agent 2 lacks ${f.name}`);
    }
    const sp = `service="web",port="${servicePort}"`;
    const backendLabel = /backend="([^"]+)"/.exec(m2.text)?.[1];
    assert.ok(backendLabel !== undefined);
    for (const text of [m1.text, m2.text]) {
      assert.ok((sample(text, `sidecar_proxy_requests_total{${sp},code="2xx"}`) ?? 0) >= REQUESTS, text);
      assert.ok((sample(text, `sidecar_proxy_request_duration_seconds_count{${sp}}`) ?? 0) >= REQUESTS);
      assert.ok((sample(text, `sidecar_proxy_request_duration_seconds_bucket{${sp},le="+Inf"}`) ?? 0) >= REQUESTS);
      assert.ok((sample(text, `sidecar_proxy_connections_total{${sp}}`) ?? 0) >= 1);
      assert.ok((sample(text, `sidecar_proxy_received_bytes_total{${sp}}`) ?? 0) > 0);
      assert.ok((sample(text, `sidecar_proxy_sent_bytes_total{${sp}}`) ?? 0) > 0);
      assert.equal(sample(text, `sidecar_proxy_backend_up{${sp},backend="${backendLabel}"}`), 1);
      assert.ok((sample(text, `sidecar_proxy_backend_requests_total{${sp},backend="${backendLabel}"}`) ?? 0) >= REQUESTS);
      assert.equal(sample(text, `sidecar_proxy_frontend_up{${sp},mode="http"}`), 1);
      assert.ok((sample(text, 'sidecar_proxy_routing_updates_total') ?? 0) >= 1);
      assert.equal(sample(text, 'sidecar_gossip_members{state="alive"}'), 2);
      assert.ok((sample(text, 'sidecar_gossip_messages_received_total{type="ping"}') ?? 0) >= 1);
      assert.ok((sample(text, 'sidecar_gossip_probes_total') ?? 0) >= 1);
      assert.ok((sample(text, 'sidecar_gossip_push_pulls_total{outcome="ok"}') ?? 0) + (sample(text, 'sidecar_gossip_messages_received_total{type="pushPull"}') ?? 0) >= 1);
      assert.equal(sample(text, 'sidecar_catalog_services{status="alive"}'), 1);
      assert.ok((sample(text, 'sidecar_catalog_state_changes_total{status="alive"}') ?? 0) >= 1);
      assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0);
      assert.ok(text.includes('nodejs_eventloop_lag_p99_seconds '));
      assert.ok(text.includes('nodejs_gc_duration_seconds_bucket'));
    }
    // Agent 1 owns the service and checks it; its proxy forwards in 2 worker threads.
    assert.equal(sample(m1.text, 'sidecar_catalog_local_services{status="alive"}'), 1);
    assert.ok((sample(m1.text, 'sidecar_health_checks_total{type="HttpGet",outcome="healthy"}') ?? 0) >= 1);
    assert.equal(sample(m1.text, 'sidecar_proxy_worker_up{worker="1"}'), 1);
    assert.equal((sample(m1.text, 'sidecar_proxy_worker_connections_total{worker="0"}') ?? 0) + (sample(m1.text, 'sidecar_proxy_worker_connections_total{worker="1"}') ?? 0), sample(m1.text, `sidecar_proxy_connections_total{${sp}}`));
    assert.equal(sample(m2.text, 'sidecar_catalog_local_services{status="alive"}'), 0);
    assert.ok((sample(m2.text, 'sidecar_replication_messages_received_total{outcome="merged"}') ?? 0) + (sample(m2.text, 'sidecar_replication_states_received_total{outcome="merged"}') ?? 0) >= 1);
  }

  it('promtool check metrics passes on both agents\' output', async () => {
    for (const api of [api1, api2]) {
      const { text } = await get(`${api}/metrics`);
      const r = promtool(text);
      assert.equal(r.status, 0, r.output);
    }
  });

  it('a real Prometheus scrapes both agents and answers a PromQL query about the proxy traffic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-prometheus-'));
    dirs.push(dir);
    const targets = [api1, api2].map((u) => new URL(u).host);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: sidecar',
        '    static_configs:',
        `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const webPort = await freePort();
    prometheus = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${webPort}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    prometheus.stderr?.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    const query = async (promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const { status, text } = await get(`http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
      assert.equal(status, 200, text);
      const body = JSON.parse(text) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      assert.equal(body.status, 'success');
      return body.data.result;
    };
    try {
      // Both targets up.
      await eventually(async () => assert.deepEqual((await query('up == 1')).map((r) => r.metric['instance']).sort(), [...targets].sort()), { timeoutMs: 30_000, intervalMs: 500 });
      // The proxy traffic of each agent, as Prometheus stored it.
      const traffic = await eventually(
        async () => {
          const result = await query(`sum by (instance) (sidecar_proxy_requests_total{service="web",code="2xx"})`);
          assert.equal(result.length, 2, JSON.stringify(result));
          for (const r of result) assert.ok(Number(r.value[1]) >= REQUESTS, JSON.stringify(r));
          return result;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      assert.deepEqual(traffic.map((r) => r.metric['instance']).sort(), [...targets].sort());
      // A histogram query works on the converted buckets.
      const p99 = await query(`histogram_quantile(0.99, sum by (le) (sidecar_proxy_request_duration_seconds_bucket{service="web"}))`);
      assert.equal(p99.length, 1);
      assert.ok(Number(p99[0]?.value[1]) > 0 && Number(p99[0]?.value[1]) <= 5, JSON.stringify(p99));
    } catch (err) {
      throw new Error(`${(err as Error).message}\nprometheus log:\n${prometheusLog.slice(-3000)}`);
    }
  });
});
