// Gossip benchmark: thousands of real Memberlist nodes on the deterministic simulator
// (sim/), Go Sidecar LAN settings, at several cluster sizes and loss rates;
// broadcast convergence, failure detection, graceful leave, 2 s event-loop stalls and traffic,
// with the closed-form model's predictions beside them (bench/gossip/model.ts).
//
//   npm run bench:gossip                  # the full matrix (≈ 45 min, most of it the three 5,000-node runs): rewrites its section of docs/benchmarks.md
//   QUICK=1 npm run bench:gossip          # 100 and 1,000 nodes at 0% and 5%, shorter windows: printed only
//   SIZES=1000 LOSSES=0,5 SEED=7 npm run bench:gossip   # a chosen matrix: printed only
//
// Env: SIZES (comma-separated node counts; default 100,1000,5000), LOSSES (packet loss in
// percent; default 0,5,20), SEED (default 1), SKIP (N:loss pairs to leave out, e.g. 5000:20),
// QUICK=1, PUBLISH=1 (write docs even for a chosen matrix), RENDER_ONLY=1 (print the tables of
// the last run from bench/results/gossip-latest.json again; with PUBLISH=1 also rewrite the docs). Each run is its own process (fresh
// heap, own peak RSS); a 5,000-node run takes 10–15 min and about 7 GB of memory.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAN_MEMBERSHIP_OPTIONS } from '../../src/membership/index.js';
import type { SimulationOptions } from '../../sim/index.js';
import type { OneRunOutput } from './one.js';
import { renderReport, writeDocsSection, type RunRecord } from './report.js';

const QUICK = process.env['QUICK'] === '1';
const list = (name: string, fallback: string): number[] =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
const SIZES = list('SIZES', QUICK ? '100,1000' : '100,1000,5000');
const LOSSES = list('LOSSES', QUICK ? '0,5' : '0,5,20').map((p) => p / 100);
const SEED = Number(process.env['SEED'] ?? 1);
const SKIP = new Set((process.env['SKIP'] ?? '').split(',').map((x) => x.trim()).filter(Boolean));
const custom = ['SIZES', 'LOSSES', 'SEED', 'SKIP'].some((k) => process.env[k] !== undefined);
const PUBLISH = process.env['PUBLISH'] === '1' || (!QUICK && !custom && process.env['RENDER_ONLY'] !== '1');
const OUT = resolve(process.env['OUT_DIR'] ?? 'bench/results');

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function runOne(spec: SimulationOptions): Promise<RunRecord> {
  // Big clusters need a big heap (N² member records) and a big young generation (push/pull
  // garbage): measured at 5,000 nodes, --max-semi-space-size=64 cut the run time by a third.
  const heapMiB = spec.nodes >= 2000 ? 16384 : 4096;
  const args = [`--max-old-space-size=${heapMiB}`, '--max-semi-space-size=64', '--import', 'tsx', resolve('bench/gossip/one.ts')];
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, GOSSIP_RUN: JSON.stringify(spec) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderrTail = (stderrTail + d).slice(-4000);
      for (const line of d.split('\n')) if (line.trim() !== '') say(`  ${line}`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || last === '') {
        reject(new Error(`run N=${spec.nodes} loss=${spec.lossRate ?? 0} failed (exit ${code}): ${stderrTail}`));
        return;
      }
      const out = JSON.parse(last) as OneRunOutput;
      resolvePromise({ nodes: spec.nodes, lossRate: spec.lossRate ?? 0, result: out.result, peakRssMiB: out.peakRssMiB, wallMs: performance.now() - started });
    });
  });
}

const RENDER_ONLY = process.env['RENDER_ONLY'] === '1';
let runs: RunRecord[] = [];
const skipped: string[] = [];
let environment: string[];
if (RENDER_ONLY) {
  // Re-renders (and publishes) the last results without running anything.
  const saved = JSON.parse(readFileSync(join(OUT, 'gossip-latest.json'), 'utf8')) as { environment: string[]; runs: RunRecord[] };
  runs = saved.runs;
  environment = saved.environment;
} else {
  runs = await runAll();
  environment = [
    `date: ${new Date().toISOString()}`,
    `node ${process.version}; seed ${SEED}${QUICK ? '; QUICK (shorter windows)' : ''}`,
    ...(skipped.length > 0 ? [`not run (SKIP): ${skipped.map((t) => t.replace(':', ' nodes at ') + '% loss').join(', ')}`] : []),
  ];
}

async function runAll(): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const nodes of SIZES) {
    for (const lossRate of LOSSES) {
      const tag = `${nodes}:${Math.round(lossRate * 100)}`;
      if (SKIP.has(tag)) {
        skipped.push(tag);
        continue;
      }
      say(`N=${nodes} loss=${Math.round(lossRate * 100)}% seed=${SEED}`);
      const spec: SimulationOptions = {
        nodes,
        lossRate,
        seed: SEED,
        ...(QUICK ? { warmupMs: 3000, steadyMs: 5000, stallStaggerMs: 5000 } : {}),
      };
      const run = await runOne(spec);
      say(`  done in ${(run.wallMs / 1000).toFixed(0)} s, peak RSS ${Math.round(run.peakRssMiB)} MiB`);
      out.push(run);
    }
  }
  return out;
}

const report = renderReport(runs, LAN_MEMBERSHIP_OPTIONS, environment);
const wrote: string[] = [];
if (!RENDER_ONLY) {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'gossip-latest.json'), JSON.stringify({ environment, runs }, null, 2));
  wrote.push(join(OUT, 'gossip-latest.json'));
}
if (PUBLISH) {
  writeDocsSection(resolve('docs/benchmarks.md'), report);
  wrote.push('its section of docs/benchmarks.md');
}
say(`\n${report}\n\n${wrote.length > 0 ? `wrote ${wrote.join(' and ')}` : 'wrote nothing'}${PUBLISH ? '' : ' (not published: QUICK, a chosen matrix or RENDER_ONLY; PUBLISH=1 to publish)'}`);
