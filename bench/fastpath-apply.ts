// How long one routing update takes to reach the kernel through the nftables fast path
// (issue 15: goal under 10 ms at 1,000 services). For 1, 100 and 1,000 tcp services × 3
// endpoints: the first apply (the whole table, one `nft -f -`), then 30 updates each removing
// or restoring one endpoint (a transaction naming only that port's chains, one line of the
// agent's long-lived `nft -i`): the time to build the whole ruleset text, and of each apply
// (spawn to exit, or line written to its answer read). Where an update's time goes, from the
// long-lived nft's /proc/<pid>/schedstat around each update: its time on a CPU (its own work
// and the kernel's commit, done in its netlink calls) and its time runnable but waiting for a
// CPU (this shared machine); the rest is this process (pipes, its event loop, GC) and nft
// asleep. Runs in a network namespace of its own (needs root and Debian's nftables); nothing
// touches the machine's rules.
//   flock /tmp/bench.lock bin/node24 --import tsx bench/fastpath-apply.ts
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/core/index.js';
import type { Endpoint, Route, RoutingTable } from '../src/proxy/index.js';
import { NftablesFastpath, buildNftRuleset, fastpathRoutes } from '../src/proxy/index.js';

const UPDATES = 30;
const INSIDE = process.argv.includes('--inside');

function routingTable(services: number, missing: ReadonlySet<number>): RoutingTable {
  const routes: Route[] = [];
  for (let s = 0; s < services; s++) {
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < 3; i++) {
      if (missing.has(s * 3 + i)) continue;
      endpoints.push({ key: `host-${i}-svc${s}`, hostname: `host-${i}`, serviceId: `svc${s}`, ip: `10.0.${i}.${1 + (s % 250)}`, port: 40000 + (s % 20000), since: 0n });
    }
    routes.push({ servicePort: 10000 + s, serviceName: `service-${s}`, mode: 'tcp', endpoints });
  }
  return { routes, collisions: [], excluded: [] };
}

/** The long-lived `nft -i` this process started (the only child left once the first apply is done). */
function nftChild(): number {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const nft = children.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nft');
  if (nft === undefined) throw new Error('the long-lived nft was not found among this process\'s children');
  return nft;
}

/** A process's time on a CPU and runnable waiting for one, in ms (/proc/<pid>/schedstat, ns). */
function schedMs(pid: number): { cpu: number; wait: number } {
  const [cpu = 0, wait = 0] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { cpu: cpu / 1e6, wait: wait / 1e6 };
}

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const at = (a: number[], q: number): number => sorted(a)[Math.min(a.length - 1, Math.floor(a.length * q))] ?? 0;

async function measure(services: number): Promise<string> {
  const fastpath = new NftablesFastpath({ bindIp: '192.168.168.168', logger: silentLogger() });
  if (!(await fastpath.start())) throw new Error(`fast path unavailable: ${fastpath.status().reason}`);
  const missing = new Set<number>();
  await fastpath.apply(routingTable(services, missing));
  const firstMs = fastpath.status().lastApplyMs ?? NaN;
  const build: number[] = [];
  const nft: number[] = [];
  const onCpu: number[] = [];
  const waiting: number[] = [];
  const pid = nftChild();
  for (let n = 0; n < UPDATES; n++) {
    const flip = (n * 37 * 3 + (n % 3)) % (services * 3);
    if (missing.has(flip)) missing.delete(flip);
    else missing.add(flip);
    const table = routingTable(services, missing);
    const t0 = performance.now();
    buildNftRuleset(fastpathRoutes(table), '192.168.168.168');
    build.push(performance.now() - t0);
    const s0 = schedMs(pid);
    await fastpath.apply(table);
    const s1 = schedMs(pid);
    nft.push(fastpath.status().lastApplyMs ?? NaN);
    onCpu.push(s1.cpu - s0.cpu);
    waiting.push(s1.wait - s0.wait);
  }
  const { applies, failures } = fastpath.status();
  await fastpath.close();
  if (failures > 0 || applies !== UPDATES + 1) throw new Error(`${failures} failed, ${applies} applied`);
  const ms = (v: number): string => v.toFixed(2);
  return `| ${services} | ${ms(at(build, 0.5))} | ${ms(firstMs)} | ${ms(at(nft, 0.5))} | ${ms(at(nft, 0.9))} | ${ms(at(nft, 1))} | ${ms(at(onCpu, 0.5))} / ${ms(at(onCpu, 0.9))} | ${ms(at(waiting, 0.5))} / ${ms(at(waiting, 0.9))} |\n`;
}

if (INSIDE) {
  let out =
    '| tcp services (× 3 endpoints) | build whole text, median ms | first apply (whole table) ms | update (one endpoint), median ms | p90 ms | max ms | nft on a CPU per update, median / p90 ms | nft waiting for a CPU, median / p90 ms |\n' +
    '|---|---|---|---|---|---|---|---|\n';
  for (const services of [1, 100, 1000]) out += await measure(services);
  process.stdout.write(out);
} else {
  // The bench runs itself again inside a network namespace it makes, and always deletes it.
  const ns = `scfp-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, new URL(import.meta.url).pathname, '--inside'], { stdio: 'inherit' });
  const stop = (): void => void child.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    process.exitCode = code ?? 1;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
