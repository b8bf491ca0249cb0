/**
 * Docker discovery with many running containers, against a real Docker Engine
 * (scripts/docker/start-dockerd.sh, make-image.sh):
 *   - time from `docker run -d` returning to the new service being in services();
 *   - CPU of this process at idle (nothing changing) over 10 s, as % of one core.
 * Usage: node --import tsx bench/docker-discovery.ts [containers=100] [samples=10]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { systemClock, silentLogger } from '../src/core/index.js';
import { DockerDiscovery, DockerLabelNamer } from '../src/discovery/docker/index.js';

const run = promisify(execFile);
const DOCKER_URL = process.env['DOCKER_URL'] || 'unix:///var/run/docker.sock';
const IMAGE = 'local/busybox:latest';
const COUNT = Number(process.argv[2] ?? 100);
const SAMPLES = Number(process.argv[3] ?? 10);
const IDLE_MS = 10_000;
const TAG = `sdbench${process.pid}`;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', DOCKER_URL, ...args], { timeout: 60_000, maxBuffer: 16 << 20 });
  return stdout.trim();
}

function startContainer(name: string): Promise<string> {
  return docker('run', '-d', '--init', '--name', `${TAG}-${name}`, '-l', `sidecar-bench=${TAG}`,
    '-l', `ServiceName=${TAG}-${name}`, '-l', 'ServicePort_80=9700', '-p', '0:80', IMAGE);
}

async function inParallel(n: number, width: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < n; i = next++) await job(i);
  }));
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  await inParallel(COUNT, 6, (i) => startContainer(`base${i}`));
  process.stdout.write(`started ${COUNT} containers in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

  const discovery = new DockerDiscovery({
    dockerUrl: DOCKER_URL, env: process.env, hostname: 'bench', advertiseIp: '10.0.0.1',
    namer: new DockerLabelNamer(), clock: systemClock, logger: silentLogger(),
  });
  const ours = (): number => discovery.services().filter((s) => s.name.startsWith(TAG)).length;
  const s0 = Date.now();
  await discovery.start();
  while (ours() < COUNT) await new Promise((r) => setTimeout(r, 10));
  const firstListMs = Date.now() - s0;

  // Idle CPU: nothing changes, only the 1 s poll runs.
  await new Promise((r) => setTimeout(r, 1500));
  const cpu0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const cpu = process.cpuUsage(cpu0);
  const wallUs = Number(process.hrtime.bigint() - w0) / 1000;
  const idlePct = ((cpu.user + cpu.system) / wallUs) * 100;

  // Discovery latency of one more container.
  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const name = `${TAG}-new${i}`;
    let seenAt = 0;
    const sub = discovery.onDidChange(() => {
      if (seenAt === 0 && discovery.services().some((s) => s.name === name)) seenAt = performance.now();
    });
    await startContainer(`new${i}`);
    const returned = performance.now();
    while (seenAt === 0 && performance.now() - returned < 5000) {
      if (discovery.services().some((s) => s.name === name)) seenAt = performance.now();
      else await new Promise((r) => setTimeout(r, 1));
    }
    sub.dispose();
    latencies.push(seenAt === 0 ? Infinity : seenAt - returned);
  }
  await discovery.close();
  const ids = await docker('ps', '-aq', '--filter', `label=sidecar-bench=${TAG}`);
  if (ids !== '') await docker('rm', '-f', ...ids.split('\n'));

  const sorted = [...latencies].sort((a, b) => a - b);
  const rows: [string, string][] = [
    ['running labelled containers', String(COUNT)],
    ['first list + inspect of all (start())', `${firstListMs} ms`],
    [`idle CPU over ${IDLE_MS / 1000} s (1 s poll)`, `${idlePct.toFixed(2)} % of a core`],
    [`docker run → in services(), ${SAMPLES} runs: median`, `${pct(sorted, 50).toFixed(1)} ms`],
    ['  min / max', `${sorted[0]?.toFixed(1)} / ${sorted[sorted.length - 1]?.toFixed(1)} ms`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
  // Negative latency: the start event was handled before `docker run` returned.
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  const ids = await docker('ps', '-aq', '--filter', `label=sidecar-bench=${TAG}`).catch(() => '');
  if (ids !== '') await docker('rm', '-f', ...ids.split('\n')).catch(() => '');
  process.exit(1);
});
