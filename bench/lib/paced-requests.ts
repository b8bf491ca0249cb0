// Open-loop GET requests at a steady rate, each timed from its send to its last byte: the
// latency a client of the agent's API sees, whether or not earlier requests are still open.
import { Agent, get } from 'node:http';

export interface PacedResult {
  /** Milliseconds per completed request, in the order they were sent. */
  readonly latenciesMs: number[];
  readonly failures: number;
}

/** Sends `count` GETs to `url`, one every 1000/`ratePerS` ms, on keep-alive connections. */
export async function pacedRequests(url: string, ratePerS: number, count: number, timeoutMs = 5000): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const latenciesMs: number[] = new Array<number>(count).fill(Number.NaN);
  let failures = 0;
  const pending: Array<Promise<void>> = [];
  const intervalMs = 1000 / ratePerS;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      new Promise<void>((done) => {
        const sent = performance.now();
        const req = get(url, { agent, timeout: timeoutMs }, (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (res.statusCode === 200) latenciesMs[i] = performance.now() - sent;
            else failures++;
            done();
          });
          res.on('error', () => {
            failures++;
            done();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          failures++;
          done();
        });
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return { latenciesMs: latenciesMs.filter((v) => !Number.isNaN(v)), failures };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
