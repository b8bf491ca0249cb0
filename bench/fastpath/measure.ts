// The measuring half of the fast path's benchmark; runs inside h1 (bench/fastpath/run.ts starts
// it there and deletes the hosts after). wrk (bench/proxy/harness.ts, pinned to LOAD_CPU with
// the backend nginx) through each row in turn, TCP mode, the same run:
//   direct     wrk → nginx in h2
//   haproxy    HAProxy 2.6, mode tcp, nbthread 1, pinned to PROXY_CPU (bench/proxy's config)
//   node       the agent, Node balancer, default worker threads (one per CPU), unpinned
//   node-w1    the agent, Node balancer, one worker thread, pinned to PROXY_CPU
//   fastpath   the agent with --proxy-tcp-fastpath nftables (the kernel DNATs; unpinned)
// All agents run for the whole load part, so every row passes h1's conntrack (the fast path's
// NAT table turns it on for the namespace). Then the dead-endpoint trials (dead-endpoint.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DUR, MAX_FOREIGN_CPU_PCT, ONLY, OUT, REPS, leastDisturbed, median, prepareRunDir, say, stop, stopAll, versions, wrk, type WrkRun } from '../proxy/harness.js';
import { deadEndpointTrials, type DeadTrial } from './dead-endpoint.js';
import { render, type Row } from './report.js';
import { BACKEND_IP, DEAD, LOAD_CPU, PORTS, PROXY_CPU, VIP, fastpathRules, nodeRotation, startAgents, startBackend, startEndpoint, startHaproxy, waitUntil, type Agent } from './setup.js';

const TESTS = (process.env['TESTS'] ?? 'ka50 close50 big1m').split(/\s+/).filter(Boolean);
const DEAD_TRIALS = Number(process.env['DEAD_TRIALS'] ?? 3);

function wrkArgs(test: string, host: string, port: number): string[] {
  const url = `http://${host}:${port}`;
  const args: Record<string, string[]> = {
    ka50: ['-t1', '-c50', `${url}/`],
    close50: ['-t1', '-c50', '-H', 'Connection: close', `${url}/`],
    big1m: ['-t1', '-c8', `${url}/1m.bin`],
  };
  const a = args[test];
  if (a === undefined) throw new Error(`unknown test ${test} (ka50, close50, big1m)`);
  return a;
}

/** Busy and total jiffies of the whole machine (/proc/stat), for its CPU over a run: the kernel's share of the fast path shows only there. */
function machineTicks(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function waitRoutes(agents: { fastpath: Agent; node: Agent; nodeW1: Agent }): Promise<void> {
  const all = (got: string[], ports: readonly number[]): boolean => ports.every((p) => got.includes(`${BACKEND_IP}:${p}`));
  await waitUntil('the fast path rules', () => all(fastpathRules(), [...PORTS.backends, ...DEAD.fastpath.endpointPorts]));
  await waitUntil('the Node balancer routes', async () => all(await nodeRotation(agents.node, PORTS.node), PORTS.backends) && all(await nodeRotation(agents.node, DEAD.node.servicePort), DEAD.node.endpointPorts));
  await waitUntil('the one-worker Node balancer routes', async () => all(await nodeRotation(agents.nodeW1, PORTS.nodeW1), PORTS.backends));
}

async function main(): Promise<void> {
  prepareRunDir();
  say(`hosts up; starting nginx (h2), the endpoints (h2), HAProxy and three agents (h1); ${versions()}`);
  await startBackend();
  const endpoints = new Map(await Promise.all([...DEAD.fastpath.endpointPorts, ...DEAD.node.endpointPorts].map(async (p) => [p, await startEndpoint(p)] as const)));
  const haproxy = await startHaproxy();
  const agents = startAgents();
  await waitRoutes(agents);

  const scenarios = [
    { name: 'direct', host: BACKEND_IP, port: PORTS.backends[0], pid: undefined },
    { name: 'haproxy', host: VIP, port: PORTS.haproxy, pid: haproxy.pid },
    { name: 'node', host: VIP, port: PORTS.node, pid: agents.node.child.pid },
    { name: 'node-w1', host: VIP, port: PORTS.nodeW1, pid: agents.nodeW1.child.pid },
    { name: 'fastpath', host: VIP, port: PORTS.fastpath, pid: agents.fastpath.child.pid },
  ].filter((s) => ONLY.length === 0 || ONLY.includes(s.name));

  say('warm-up (the Node balancers: 2 s of ka50 each)');
  for (const s of scenarios.filter((x) => x.name.startsWith('node'))) await wrk(LOAD_CPU, ['-d2s', ...wrkArgs('ka50', s.host, s.port)], undefined);

  const rows: Row[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    for (const test of TESTS) {
      for (const s of scenarios) {
        const r = await leastDisturbed(async (): Promise<(WrkRun & { machineCpuPct: number }) | null> => {
          const t0 = machineTicks();
          const run = await wrk(LOAD_CPU, wrkArgs(test, s.host, s.port), s.pid);
          const t1 = machineTicks();
          return run === null ? null : { ...run, machineCpuPct: ((t1.busy - t0.busy) / Math.max(1, t1.total - t0.total)) * 100 * cpus().length };
        });
        if (r === null) continue;
        rows.push({ ...r, scenario: s.name, test, rep });
        say(`${s.name.padEnd(9)} ${test.padEnd(8)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50_us} µs  p99 ${r.p99_us} µs  CPU ${r.proxyCpuPct === null ? '–' : r.proxyCpuPct.toFixed(1)} %  machine ${Math.round(r.machineCpuPct)} %  others ${Math.round(r.foreignCpuPct)} %  ${r.errors} errors`);
      }
    }
  }
  // The load part's processes go before the dead-endpoint part, which needs only two agents and the endpoints.
  await stop(haproxy);
  await stop(agents.nodeW1.child);

  let dead: DeadTrial[] = [];
  if (DEAD_TRIALS > 0) {
    const rotated = (got: string[], port: number): boolean => got.includes(`${BACKEND_IP}:${port}`);
    const deadPorts = [DEAD.fastpath.endpointPorts[1], DEAD.node.endpointPorts[1]];
    dead = await deadEndpointTrials(
      [
        { name: 'fast path', servicePort: DEAD.fastpath.servicePort, deadPort: DEAD.fastpath.endpointPorts[1], inRotation: () => Promise.resolve(rotated(fastpathRules(), DEAD.fastpath.endpointPorts[1])) },
        { name: 'Node balancer', servicePort: DEAD.node.servicePort, deadPort: DEAD.node.endpointPorts[1], inRotation: async () => rotated(await nodeRotation(agents.node, DEAD.node.servicePort), DEAD.node.endpointPorts[1]) },
      ],
      async () => {
        for (const p of deadPorts) endpoints.get(p)?.kill('SIGKILL');
        await Promise.all(deadPorts.map((p) => (endpoints.get(p) === undefined ? undefined : stop(endpoints.get(p)!))));
      },
      async () => {
        for (const p of deadPorts) endpoints.set(p, await startEndpoint(p));
      },
      DEAD_TRIALS,
    );
  }
  await stopAll();

  const stamp = new Date().toISOString();
  const foreign = rows.map((r) => r.foreignCpuPct);
  const env = [
    `date: ${stamp}`,
    versions(),
    `DUR=${DUR}s REPS=${REPS} (medians); wrk + nginx on cpu ${LOAD_CPU}, HAProxy and node-w1 on cpu ${PROXY_CPU}, node and fastpath agents unpinned; hosts are network namespaces on a veth bridge`,
    `other processes on the shared machine during the runs: median ${median(foreign).toFixed(0)} %, highest ${Math.max(0, ...foreign).toFixed(0)} % of one CPU (a run is repeated, up to twice, above ${MAX_FOREIGN_CPU_PCT} %)`,
  ];
  writeFileSync(join(OUT, 'fastpath.json'), JSON.stringify({ date: stamp, env, rows, dead }, null, 2));
  process.stdout.write(`\n${env.map((e) => `- ${e}`).join('\n')}\n\n${render(TESTS, rows, dead)}\n\nwrote ${join(OUT, 'fastpath.json')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:fastpath: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
