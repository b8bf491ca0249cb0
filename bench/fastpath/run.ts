// The fast path's benchmark (issue #15): TCP through the nftables fast path beside HAProxy,
// direct connections and the Node balancer, in one run, and how long a dead endpoint keeps
// getting connections in each mode. Hosts are network namespaces of this run (the fast path
// needs nftables, which the machine's own namespace must not be touched for):
//   <prefix>-h1  the client (wrk, this bench's measuring half), HAProxy, the agents, 192.168.168.168 on lo
//   <prefix>-h2  the backends (one nginx, a pair of ports per row, and the dead-endpoint test's endpoints)
// on a bridge of their own (test/system/fastpath/netns-lan.ts). This file makes the hosts,
// runs measure.ts inside h1 (`ip netns exec`), and at the end (also on error or SIGINT) kills
// every process left in the namespaces and deletes them. In h1 it sets two sysctls, each
// explained where it is set: conntrack's TIME_WAIT time-out and tcp_tw_reuse.
//
// The load runs in two parts (topologies), one after the other, both by default:
//   pinned    wrk -t1 and nginx (1 worker) on LOAD_CPU, HAProxy (nbthread 1) and the one-worker
//             Node balancer on PROXY_CPU: HAProxy gets a core of its own, which the fast path's
//             kernel work (done on the sender's core) cannot use.
//   unpinned  every process on every CPU, as bench/proxy's scale part (scale.ts): wrk -t2, nginx
//             with a worker per CPU, HAProxy nbthread 1 and nbthread 2, the agents: each proxy
//             competes with the load for the same cores, as on a host.
// Both keep -c50 for ka50/close50 and -c8 for 1 MiB bodies.
//
//   npm run bench:fastpath                    # DUR=5 REPS=1, both parts, about 4 minutes
//   PARTS=unpinned DUR=2 npm run bench:fastpath   # one part only (a quick look)
//   DUR=5 REPS=2 npm run bench:fastpath       # a full run: also rewrites its section of docs/benchmarks.md
//
// Knobs: DUR, REPS (bench/proxy/harness.ts), PARTS='pinned unpinned', TESTS='ka50 close50 big1m',
// SCENARIOS (names from measure.ts: direct haproxy haproxy-nb2 node node-w1 fastpath),
// DEAD_TRIALS (dead-endpoint trials, default 3; 0 skips it), LOAD_CPU / PROXY_CPU (as
// bench/proxy), RENDER_ONLY=1 (print the tables of bench/results/fastpath.json
// again, nothing run). Needs root, nft, ip, haproxy, wrk, nginx, taskset; without
// them it says why and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeNetnsLan } from '../../test/system/fastpath/netns-lan.js';
import { OUT } from '../proxy/harness.js';
import { render, type Row } from './report.js';
import type { DeadTrial } from './dead-endpoint.js';

if (process.env['RENDER_ONLY'] === '1') {
  const saved = JSON.parse(readFileSync(join(OUT, 'fastpath.json'), 'utf8')) as { env: string[]; rows: Row[]; dead: DeadTrial[] };
  process.stdout.write(`${saved.env.map((e) => `- ${e}`).join('\n')}\n\n${render([...new Set(saved.rows.map((r) => r.test))], saved.rows, saved.dead)}\n`);
  process.exit(0);
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and nftables)';
  for (const tool of ['ip', 'nft', 'haproxy', 'wrk', 'nginx', 'taskset']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `\`${tool}\` is not installed (apt-get install -y nftables haproxy wrk nginx)`;
  }
  return undefined;
}

const skip = skipReason();
if (skip !== undefined) {
  process.stdout.write(`bench:fastpath: skipped: ${skip}\n`);
  process.exit(0);
}

const prefix = `fpb${process.pid}`;
const lan = makeNetnsLan(prefix, 2);
const namespaces = [lan.host(1), lan.host(2), `${prefix}-c1`, `${prefix}-lan`];
/**
 * How long h1's conntrack keeps a closed connection (TIME_WAIT), in seconds: 5, not the
 * kernel's 120. The fast path's NAT table turns conntrack on for all of h1's traffic, and the
 * table holds at most nf_conntrack_max entries (262,144 on this machine, set for the whole
 * machine): at 120 s, the close50 rows (10,000 new connections a second, two entries each
 * through a proxy) filled it within a run, and then every row after dropped SYNs (HAProxy's
 * close50 fell to 430 req/s). At 5 s no row inherits another's entries. Only h1 is changed.
 */
const CONNTRACK_TIME_WAIT_S = 5;
/**
 * h1's `net.ipv4.tcp_tw_reuse`: 1 (the kernel's default, 2, allows it for loopback addresses
 * only). A proxy in h1 closes its side of a close50 connection to the client after the backend
 * closed, so the TIME_WAIT (60 s) stays in h1 on <VIP>:<frontend port> ↔ <VIP>:<client port>;
 * 192.168.168.168 is not a loopback address, so wrk's connects could not reuse those ports and
 * ran out of them within seconds (HAProxy's and the Node balancer's close50 fell to ~500 req/s
 * with wrk spinning at 100 % CPU). On 127.0.0.1 (bench/proxy) the default already reuses them.
 * Direct and fast-path connections leave their TIME_WAIT in h2 (nginx closes first) and are
 * not affected.
 */
const TCP_TW_REUSE = 1;

let cleaned = false;
/** Kills whatever still runs in the namespaces (by pid, as `ip netns pids` lists them), then deletes them. */
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const ns of namespaces) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  // A killed process leaves its namespace a moment later; deleting works regardless (the name goes, the namespace with it once empty).
  try {
    lan.close();
  } catch (err) {
    process.stderr.write(`bench:fastpath: deleting namespaces ${namespaces.join(' ')}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
process.on('exit', cleanup);

try {
  lan.exec(1, ['sysctl', '-q', '-w', `net.netfilter.nf_conntrack_tcp_timeout_time_wait=${CONNTRACK_TIME_WAIT_S}`, `net.ipv4.tcp_tw_reuse=${TCP_TW_REUSE}`]);
} catch (err) {
  cleanup();
  throw err;
}

const measure = spawn('ip', ['netns', 'exec', lan.host(1), process.execPath, '--import', 'tsx', resolve('bench/fastpath/measure.ts')], {
  stdio: 'inherit',
  env: { ...process.env, FASTPATH_PREFIX: prefix, RUN_DIR: process.env['RUN_DIR'] ?? resolve('bench/.run/fastpath') },
});
/** Once asked to stop, how long measure.ts gets to stop its processes before they are killed: 10 s (its own stop waits 3 s per process). */
const STOP_GRACE_MS = 10_000;
const forward = (signal: NodeJS.Signals): void => {
  // A terminal's Ctrl-C reaches measure.ts too; a SIGTERM sent to this process only is passed on.
  measure.kill(signal);
  setTimeout(() => process.exit(130), STOP_GRACE_MS).unref();
};
process.on('SIGINT', () => forward('SIGINT'));
process.on('SIGTERM', () => forward('SIGTERM'));
measure.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 130)));
