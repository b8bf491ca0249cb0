// The proxy access log's CPU cost per line, apart from the proxy: builds and writes LINES
// access-log lines at RATE lines/s through AccessLogWriter (as a busy forwarding thread does:
// a few dozen lines per event-loop turn) to a file in a temporary directory, and reports the
// process's CPU time (all threads: the writes run in libuv's pool) per line, less that of the
// same paced loop without lines. Divide by a proxied request's CPU cost (bench/proxy:
// 1 / "req/s per proxy CPU-s") for the share of the hot path.
//
//   bin/node24 --import tsx bench/access-log-cost.ts            # LINES=400000 RATE=40000
//
// Run it under the bench lock (flock /tmp/bench.lock …); it takes a few seconds and leaves nothing behind.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock } from '../src/core/index.js';
import { AccessLogWriter } from '../src/proxy/access-log.js';
import { accessLogLine } from '../src/proxy/access-log-line.js';

const LINES = Number(process.env['LINES'] ?? 400_000);
/** Lines a second: about what one forwarding thread serves (bench/proxy ka50: 40,000–55,000 requests/s). */
const RATE = Number(process.env['RATE'] ?? 40_000);
const dir = mkdtempSync(join(tmpdir(), 'sidecar-access-bench-'));
try {
  const backend = { key: 'host-9001-http1', ip: '127.0.0.1', port: 9001 };
  type Mode = 'loop' | 'build' | 'write';
  const measure = async (mode: Mode): Promise<{ cpuNsPerLine: number; stats: string }> => {
    rmSync(join(dir, 'access.log'), { force: true });
    const writer = new AccessLogWriter(join(dir, 'access.log'), silentLogger(), systemClock);
    const cpu0 = process.cpuUsage();
    let n = 0;
    let sink = 0;
    const t0 = performance.now();
    while (n < LINES) {
      // The lines due by now (a 1 ms timer between turns, as a proxy's I/O would space them).
      const due = Math.min(LINES, Math.floor(((performance.now() - t0) * RATE) / 1000));
      for (; n < due; n++) {
        if (mode === 'loop') {
          sink += n;
          continue;
        }
        const line = accessLogLine('bench-http', 8092, 'http', `127.0.0.1:${40000 + (n % 50)}`, backend, 200, 0.4 + (n % 7) * 0.01, 112, 236);
        if (mode === 'write') writer.write(line);
        else sink += line.length;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await writer.close();
    const cpu = process.cpuUsage(cpu0);
    const s = writer.stats();
    if (sink < 0) throw new Error('unreachable');
    return { cpuNsPerLine: ((cpu.user + cpu.system) * 1000) / LINES, stats: `${s.linesWritten} written, ${s.linesDropped} dropped` };
  };
  await measure('write'); // warm-up
  const loop = await measure('loop');
  const build = await measure('build');
  const write = await measure('write');
  const bytes = statSync(join(dir, 'access.log')).size;
  process.stdout.write(
    `${LINES} lines at ${RATE}/s, ${(bytes / LINES).toFixed(0)} bytes a line (${write.stats})\n` +
      `building a line:            ${(build.cpuNsPerLine - loop.cpuNsPerLine).toFixed(0)} ns CPU\n` +
      `building and writing it:    ${(write.cpuNsPerLine - loop.cpuNsPerLine).toFixed(0)} ns CPU (all threads)\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

