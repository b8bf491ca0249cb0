/**
 * How long a new local service takes to reach another host: two real agents (bin/sidecar,
 * static or Docker discovery) on loopback, B joined to A. N times, a service appears on B:
 * with `SOURCE=static` (the default) an entry is added to B's static file, with
 * `SOURCE=docker` a labelled container is started (`docker run`, needs dockerd and the test
 * image: scripts/docker/start-dockerd.sh, make-image.sh). We time, from the file write or from
 * the moment `docker run` returned (the container is running), until A's /api/services.json
 * shows it ALIVE and until A's load balancer (bound on 127.0.0.2 with --proxy-bind-ip) routes
 * a connection to it. Prints p50/p90/max of both. Knobs: `N` (default 10), `SOURCE`.
 *
 * The goal (issue #16 item 1): ≤ 300 ms p50 on loopback. The Go Sidecar: about 5.3 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../test/helpers/eventually.js';
import { freePort } from '../test/helpers/free-port.js';
import { startAgent, type AgentProcess } from '../test/helpers/agent-process.js';
import { throughProxy } from '../test/helpers/through-proxy.js';

const N = Number(process.env['N'] ?? 10);
const SOURCE = process.env['SOURCE'] ?? 'static';
if (SOURCE !== 'static' && SOURCE !== 'docker') throw new Error(`SOURCE must be static or docker, not ${JSON.stringify(SOURCE)}`);
const DOCKER_IMAGE = 'local/busybox:latest';
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const PROXY_IP = '127.0.0.2';

type ServicesDoc = { Services: Record<string, Array<{ ID: string; Status: number; Hostname: string }> | undefined> };

function staticEntry(name: string, backendPort: number, servicePort: number): unknown {
  return {
    Service: { Name: name, Image: `${name}:1`, ProxyMode: 'tcp', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: servicePort }] },
    Check: { Type: 'AlwaysSuccessful' },
  };
}

async function aliveOnA(api: string, name: string): Promise<boolean> {
  const doc = (await (await fetch(`${api}/api/services.json`)).json()) as ServicesDoc;
  return (doc.Services[name] ?? []).some((s) => s.Hostname === 'b' && s.Status === 0);
}

/** A's load balancer reaches the new instance: the static backend's greeting, or busybox httpd's page over HTTP. */
async function routedOnA(servicePort: number): Promise<boolean> {
  if (SOURCE === 'static') return (await throughProxy(PROXY_IP, servicePort, 500)) === 'hello from b';
  try {
    return (await fetch(`http://${PROXY_IP}:${servicePort}/`, { signal: AbortSignal.timeout(500) })).status === 200;
  } catch {
    return false;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(label: string, values: readonly number[]): string {
  const sorted = [...values].sort((x, y) => x - y);
  return `${label}: p50 ${percentile(sorted, 50)} ms, p90 ${percentile(sorted, 90)} ms, max ${sorted.at(-1)} ms (n=${sorted.length})`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-propagation-'));
  const fileA = join(dir, 'a.json');
  const fileB = join(dir, 'b.json');
  writeFileSync(fileA, '[]');
  writeFileSync(fileB, '[]');
  const backend: Server = createServer((s) => s.end('hello from b'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as { port: number }).port;
  const [seed, other] = [await freePort(), await freePort()];
  const common = ['--http-port', '0', '--advertise-ip', '127.0.0.1', '--proxy-slow-start', '0', '--cluster-ip', `127.0.0.1:${seed}`];
  const agents: AgentProcess[] = [];
  try {
    const a = startAgent(['--hostname', 'a', '--discover', 'static', '--static-config', fileA, '--bind-port', String(seed), '--proxy-bind-ip', PROXY_IP, ...common]);
    const discoverB = SOURCE === 'docker' ? ['--discover', 'docker'] : ['--discover', 'static', '--static-config', fileB];
    const b = startAgent(['--hostname', 'b', ...discoverB, '--bind-port', String(other), '--proxy-bind-ip', '127.0.0.3', ...common]);
    agents.push(a, b);
    const apiA = await a.apiUrl();
    await b.apiUrl();
    const entries: unknown[] = [];
    const alive: number[] = [];
    const routed: number[] = [];
    const containers: string[] = [];
    // Round -1 is a warm-up (it also waits for B to join A) and is not counted.
    for (let i = -1; i < N; i++) {
      const name = `prop-${i + 1}`;
      const servicePort = await freePort();
      entries.push(staticEntry(name, backendPort, servicePort));
      // Let the previous round's announcements settle so each round starts from quiet.
      await new Promise((resolve) => setTimeout(resolve, 300));
      let t0 = performance.now();
      if (SOURCE === 'static') {
        writeFileSync(fileB, JSON.stringify(entries));
      } else {
        containers.push(
          docker('run', '-d', '-l', `ServiceName=${name}`, '-l', `ServicePort_80=${servicePort}`, '-l', 'HealthCheck=AlwaysSuccessful', '-l', 'ProxyMode=tcp', '-p', '127.0.0.1:0:80', DOCKER_IMAGE),
        );
        t0 = performance.now();
      }
      let aliveMs = -1;
      await eventually(
        async () => {
          if (aliveMs < 0 && (await aliveOnA(apiA, name))) aliveMs = Math.round(performance.now() - t0);
          if (aliveMs < 0) throw new Error(`${name} not ALIVE on a yet`);
          if (!(await routedOnA(servicePort))) throw new Error(`${name} not routed on a yet`);
        },
        { timeoutMs: 30_000, intervalMs: 10 },
      );
      const routedMs = Math.round(performance.now() - t0);
      if (i < 0) continue;
      alive.push(aliveMs);
      routed.push(routedMs);
      process.stdout.write(`# ${name}: ALIVE on a after ${aliveMs} ms, routed after ${routedMs} ms\n`);
    }
    process.stdout.write(`${SOURCE} discovery\n${summary('ALIVE on the other host', alive)}\n${summary('routed by its load balancer', routed)}\n`);
    if (containers.length > 0) docker('rm', '-f', ...containers);
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
