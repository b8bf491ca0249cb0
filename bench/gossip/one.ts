// One gossip-simulator run (one cluster size and loss rate), for bench/gossip/run.ts, which
// starts it in its own process so each run gets a fresh heap and its own peak RSS.
// Reads GOSSIP_RUN (JSON SimulationOptions without callbacks); prints progress lines on stderr
// and the result as one JSON line on stdout.
import { simulate, type SimulationOptions, type SimulationResult } from '../../sim/index.js';

export interface OneRunOutput {
  readonly result: SimulationResult;
  /** Peak resident set size of this process, in MiB. */
  readonly peakRssMiB: number;
}

const spec = JSON.parse(process.env['GOSSIP_RUN'] ?? '{}') as SimulationOptions;
const result = await simulate({ ...spec, onProgress: (line) => process.stderr.write(`${line}\n`) });
const output: OneRunOutput = { result, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
process.stdout.write(`${JSON.stringify(output)}\n`);
