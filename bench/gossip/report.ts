// Markdown for the gossip benchmark: measured tables with the model's predictions beside
// them, the goals of issue #6, and the docs/benchmarks.md section they go into.
import { replaceDocsSection } from '../lib/docs-section.js';
import type { MembershipOptions } from '../../src/membership/index.js';
import type { SimulationResult } from '../../sim/index.js';
import {
  modelDeadToAllMs,
  modelFirstProbeMs,
  modelSuspicionMaxMs,
  modelShareMs,
  modelSuspicionMinMs,
  type ModelSettings,
} from './model.js';

export interface RunRecord {
  readonly nodes: number;
  readonly lossRate: number;
  readonly result: SimulationResult;
  readonly peakRssMiB: number;
  readonly wallMs: number;
}

export function modelSettings(m: MembershipOptions): ModelSettings {
  return {
    gossipIntervalMs: m.gossipIntervalMs,
    fanout: m.gossipNodes,
    probeIntervalMs: m.probeIntervalMs,
    probeTimeoutMs: m.probeTimeoutMs,
    suspicionMaxTimeoutMult: m.suspicionMaxTimeoutMult,
    retransmitMult: m.retransmitMult,
  };
}

const s2 = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '–' : (ms / 1000).toFixed(2));
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const int = (x: number | undefined): string => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const nodes = (n: number): string => n.toLocaleString('en-US');

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

export interface Goal {
  readonly goal: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

/** The goals of issue #6, checked against the runs that cover them (null: not run). */
export function goals(runs: readonly RunRecord[], m: MembershipOptions): Goal[] {
  const s = modelSettings(m);
  const at = (n: number, loss: number): RunRecord | undefined => runs.find((r) => r.nodes === n && Math.abs(r.lossRate - loss) < 1e-9);
  const out: Goal[] = [];
  for (const [loss, limitMs] of [
    [0, 2000],
    [0.05, 4000],
  ] as const) {
    const r = at(1000, loss);
    const t = r?.result.broadcast?.holding.p100Ms ?? null;
    out.push({
      goal: `broadcast reaches 100% of 1,000 nodes, ${pct(loss)} loss`,
      target: `< ${s2(limitMs)} s`,
      measured: r === undefined ? 'not run' : `${s2(t)} s`,
      met: r === undefined ? null : t !== null && t < limitMs,
    });
  }
  const r = at(1000, 0);
  const dead = r?.result.failure?.dead.p100Ms ?? null;
  const bound = modelDeadToAllMs(s, 1000, m.suspicionMult);
  out.push({
    goal: 'killed node dead to all of 1,000 nodes, 0% loss',
    target: `≤ model lower bound ${s2(bound)} s (suspicion mult ${m.suspicionMult}; ${s2(modelDeadToAllMs(s, 1000, 4))} s with stock mult 4)`,
    measured: r === undefined ? 'not run' : `${s2(dead)} s`,
    met: r === undefined ? null : dead !== null && dead <= bound,
  });
  const stallRuns = runs.filter((x) => x.result.stalls !== undefined);
  const deaths = stallRuns.reduce((sum, x) => sum + (x.result.stalls?.deadDeclarations ?? 0), 0);
  const falseSusp = stallRuns.reduce((sum, x) => sum + (x.result.stalls?.falselySuspectedNodes ?? 0), 0);
  out.push({
    goal: '2 s stalls of 1% of nodes: no node declared dead',
    target: '0 dead declarations in every run',
    measured: stallRuns.length === 0 ? 'not run' : `${deaths} dead declarations; ${falseSusp} healthy nodes suspected (${stallRuns.length} runs)`,
    met: stallRuns.length === 0 ? null : deaths === 0,
  });
  return out;
}

/** The benchmark's markdown (without the section heading). */
export function renderReport(runs: readonly RunRecord[], m: MembershipOptions, environment: readonly string[]): string {
  const s = modelSettings(m);
  const sorted = [...runs].sort((a, b) => a.nodes - b.nodes || a.lossRate - b.lossRate);
  const key = (r: RunRecord): string[] => [nodes(r.nodes), pct(r.lossRate)];
  const first = sorted[0]?.result;
  const out: string[] = [];
  out.push(...environment.map((e) => `- ${e}`), '');
  out.push(
    `Real \`Memberlist\` nodes, thousands in one process, on the in-memory network and a simulated clock (\`sim/\`), ` +
      `Go Sidecar settings: gossip every ${m.gossipIntervalMs} ms to ${m.gossipNodes} peers, probe every ${m.probeIntervalMs} ms ` +
      `(timeout ${m.probeTimeoutMs} ms), suspicion mult ${m.suspicionMult} (max ×${m.suspicionMaxTimeoutMult}), retransmit mult ${m.retransmitMult} ` +
      `(user messages ${m.userRetransmitMult}), push/pull every ${m.pushPullIntervalMs / 1000} s scaled by cluster size. ` +
      `One-way latency ${first?.latencyMs ?? 1} ms; packets are lost at the given rate, TCP streams never. Times are simulated seconds. ` +
      'Model columns: the logistic epidemic model of the Serf convergence simulator (at ⌈share·N⌉ whole nodes; 100% = under half a node left unaware) ' +
      'and memberlist\'s formulas (see `bench/gossip/model.ts`); performance-anchors.md treats both as optimistic lower bounds, though piggy-backing on ' +
      'probes lets small clusters beat the broadcast model. Single runs (one seed): expect a few tenths of a second of noise.',
    '',
  );
  out.push('Goals (issue #6):', '');
  out.push(
    table(
      ['goal', 'target', 'measured', ''],
      goals(runs, m).map((g) => [g.goal, g.target, g.measured, g.met === null ? '–' : g.met ? 'met' : '**missed**']),
    ),
    '',
  );
  out.push(`Broadcast convergence: one node publishes a ${first?.broadcast?.recordBytes ?? 512}-byte record; every node relays a newer version once (s):`, '');
  out.push(
    table(
      ['N', 'loss', '50%', '99%', '99.9%', '100%', 'model 50% / 99% / 99.9% / 100%', 'by push/pull', 'messages per node'],
      sorted.map((r) => {
        const b = r.result.broadcast;
        const model = [0.5, 0.99, 0.999, 1].map((p) => s2(modelShareMs(s, r.nodes, p, r.lossRate)));
        return [
          ...key(r),
          s2(b?.holding.p50Ms),
          s2(b?.holding.p99Ms),
          s2(b?.holding.p999Ms),
          b === undefined ? '–' : b.holding.p100Ms === null ? `${b.holding.reached}/${b.holding.of}` : s2(b.holding.p100Ms),
          model.join(' / '),
          int(b?.viaPushPull),
          b === undefined ? '–' : b.messagesPerNode.toFixed(1),
        ];
      }),
    ),
    '',
  );
  out.push('Failure detection (a node crashes) and graceful leave (s):', '');
  out.push(
    table(
      ['N', 'loss', 'first suspicion (SWIM: e/(e−1)·T)', 'dead to 50% / 99% / 100%', 'model lower bound, mult ' + m.suspicionMult + ' / 4', 'suspicion min–max', 'left to 99% / 100%', 'leave() took'],
      sorted.map((r) => {
        const f = r.result.failure;
        const l = r.result.leave;
        return [
          ...key(r),
          `${s2(f?.firstSuspicionMs)} (${s2(modelFirstProbeMs(s))})`,
          f === undefined ? '–' : `${s2(f.dead.p50Ms)} / ${s2(f.dead.p99Ms)} / ${f.dead.p100Ms === null ? `${f.dead.reached}/${f.dead.of}` : s2(f.dead.p100Ms)}`,
          `${s2(modelDeadToAllMs(s, r.nodes, m.suspicionMult))} / ${s2(modelDeadToAllMs(s, r.nodes, 4))}`,
          `${s2(modelSuspicionMinMs(s, r.nodes, m.suspicionMult))}–${s2(modelSuspicionMaxMs(s, r.nodes, m.suspicionMult))}`,
          l === undefined ? '–' : `${s2(l.left.p99Ms)} / ${l.left.p100Ms === null ? `${l.left.reached}/${l.left.of}` : s2(l.left.p100Ms)}`,
          s2(l?.leaveCallMs),
        ];
      }),
    ),
    '',
  );
  const st = first?.stalls;
  out.push(
    `Stalls: ${st === undefined ? '1%' : `1% of nodes (at least one)`} block their event loop for ${s2(st?.stallMs ?? 2000)} s each, ` +
      `starting evenly over ${s2(st?.staggerMs ?? 10000)} s, nothing else happening; watched until the minimum suspicion timeout + 5 s after the last. ` +
      'A stalled node cannot answer, so being suspected is expected; it must refute, and nobody may be declared dead:',
    '',
  );
  out.push(
    table(
      ['N', 'loss', 'stalled', 'stalled & suspected', 'healthy nodes suspected (pairs)', 'dead declarations', 'probe stall graces', 'suspicions open at end'],
      sorted.map((r) => {
        const x = r.result.stalls;
        if (x === undefined) return [...key(r), '–', '–', '–', '–', '–', '–'];
        return [
          ...key(r),
          int(x.stalledNodes),
          int(x.suspectedStalledNodes),
          `${int(x.falselySuspectedNodes)} (${int(x.falseSuspicions)})`,
          x.deadDeclarations === 0 ? '0' : `**${x.deadDeclarations}**`,
          int(x.stallGraces),
          int(x.openSuspicionsAtEnd),
        ];
      }),
    ),
    '',
  );
  out.push('Traffic sent per node (bytes/s; UDP counts every packet sent, lost or not):', '');
  out.push(
    table(
      ['N', 'loss', 'steady UDP (packets/s)', 'steady TCP (push/pull)', 'during the broadcast: UDP', 'TCP'],
      sorted.map((r) => {
        const t = r.result.steady;
        const b = r.result.broadcast?.traffic;
        return [
          ...key(r),
          t === undefined ? '–' : `${int(t.udpBytesPerNodePerSec)} (${t.packetsPerNodePerSec.toFixed(1)})`,
          int(t?.tcpBytesPerNodePerSec),
          int(b?.udpBytesPerNodePerSec),
          int(b?.tcpBytesPerNodePerSec),
        ];
      }),
    ),
    '',
  );
  out.push('Cost of each run (one process per run):', '');
  out.push(
    table(
      ['N', 'loss', 'simulated s', 'wall s', 'peak RSS MiB', 'timers fired'],
      sorted.map((r) => {
        const phases = r.result.cost.phases;
        const sim = phases.reduce((sum, p) => sum + p.simulatedMs, 0);
        const timers = phases.reduce((sum, p) => sum + p.timersFired, 0);
        return [...key(r), (sim / 1000).toFixed(0), (r.wallMs / 1000).toFixed(0), int(r.peakRssMiB), int(timers)];
      }),
    ),
  );
  return out.join('\n');
}

const BEGIN = '<!-- gossip-bench:begin (generated by `npm run bench:gossip`, bench/gossip/run.ts; do not edit by hand) -->';
const END = '<!-- gossip-bench:end -->';
export const SECTION_HEADING = '## Gossip: SWIM + Lifeguard simulator';

/**
 * Puts `body` under its own heading in the markdown file at `path`, between markers: replaces
 * the previous gossip section and leaves everything else as it was; appends when absent.
 */
export function writeDocsSection(path: string, body: string): void {
  replaceDocsSection(path, BEGIN, END, [SECTION_HEADING, '', body].join('\n'));
}
