// A real agent with 10,000 static services on one host: the worst event-loop stall and the
// CPU it uses once settled (goal: no stall over 50 ms, under 2 % of a core with
// AlwaysSuccessful checks). CPU is read from /proc over WINDOW_S with the in-process probe
// paused, then stalls over another WINDOW_S with it running (test/helpers/event-loop-probe.mjs).
// Two scenarios, one after the other:
//   always  every service has an AlwaysSuccessful check (nothing to do but keep records fresh);
//   http    no check given, so each gets the default HttpGet on its first port, answered by a
//           backend in this process (10,000 checks every 3 s: CPU is the checks' own cost).
//   npm run bench:scale            (SERVICES=10000 SETTLE_S=10 WINDOW_S=15 SCENARIOS='always http')
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../test/helpers/eventually.js';
import { measureIdle, startBackend, startScaleAgent, writeScaleStaticFile, type ScaleCheckKind } from '../test/helpers/scale-agent.js';

const SERVICES = Number(process.env['SERVICES'] ?? 10_000);
const SETTLE_MS = Number(process.env['SETTLE_S'] ?? 10) * 1000;
const WINDOW_MS = Number(process.env['WINDOW_S'] ?? 15) * 1000;
const SCENARIOS = (process.env['SCENARIOS'] ?? 'always http').split(/\s+/).filter(Boolean) as ScaleCheckKind[];

const rows: string[] = [];
for (const kind of SCENARIOS) {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-scale-'));
  const backend = await startBackend();
  const file = writeScaleStaticFile(dir, SERVICES, kind, backend.port);
  const probe = join(dir, 'probe.jsonl');
  const agent = startScaleAgent(file, probe);
  try {
    const api = await agent.apiUrl();
    const t0 = Date.now();
    // Settled: every service ALIVE in the API (the default HttpGet checks start UNHEALTHY).
    await eventually(
      async () => {
        const doc = (await (await fetch(`${api}/api/services.json`)).json()) as { Services: Record<string, Array<{ Status: number }>> };
        const alive = Object.values(doc.Services).flat().filter((s) => s.Status === 0).length;
        if (alive < SERVICES) throw new Error(`${alive}/${SERVICES} ALIVE`);
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const aliveAfterMs = Date.now() - t0;
    await new Promise((done) => setTimeout(done, SETTLE_MS));
    const hits0 = backend.hits();
    const m = await measureIdle(agent, probe, WINDOW_MS);
    const checksPerS = ((backend.hits() - hits0) * 1000) / (2 * WINDOW_MS);
    rows.push(
      `| ${kind} | ${SERVICES} | ${(aliveAfterMs / 1000).toFixed(1)} s | ${m.maxStallMs.toFixed(0)} ms | ${m.stallsOver50} | ${m.gcMaxMs.toFixed(0)} ms | ${m.cpuPercent.toFixed(1)} % | ${checksPerS.toFixed(0)} | ${m.rssMiB.toFixed(0)} MiB |`,
    );
  } finally {
    await agent.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(
  [
    `catalog scale: ${SERVICES} static services; after settling ${SETTLE_MS / 1000} s, CPU over ${WINDOW_MS / 1000} s, then stalls over ${WINDOW_MS / 1000} s`,
    '',
    '| checks | services | all ALIVE after | worst event-loop stall | stalls > 50 ms | worst GC pause | CPU (one core) | HTTP checks/s | RSS |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
