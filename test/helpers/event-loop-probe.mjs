// Loaded into an agent with NODE_OPTIONS="--import <this file>" by bench/catalog-scale.ts and
// test/system/hostile/catalog-scale.test.ts: a 10 ms interval timer measures how late it fires
// (the event-loop stall), and once a second one JSON line is appended to the file named by
// EVENT_LOOP_PROBE_FILE: {"t": <ms>, "maxMs": <worst stall>, "over50": <stalls over 50 ms>,
// "gcMaxMs", "gcTotalMs": the longest and the total GC pause}. Main thread only; without the
// variable it does nothing; SIGUSR2 pauses and resumes it. Plain JS: it runs before the
// agent's TypeScript loader. (perf_hooks.monitorEventLoopDelay on Node 20 missed a 200 ms busy
// loop in a trial, so the probe times its own timer.)
import { appendFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const RESOLUTION_MS = 10;
const file = process.env.EVENT_LOOP_PROBE_FILE;
if (isMainThread && file) {
  delete process.env.EVENT_LOOP_PROBE_FILE; // not for the agent's children (External checks)
  let last = 0;
  let maxMs = 0;
  let over50 = 0;
  let gcMaxMs = 0;
  let gcTotalMs = 0;
  let lastReport = 0;
  let timer;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcTotalMs += entry.duration;
      if (entry.duration > gcMaxMs) gcMaxMs = entry.duration;
    }
  });
  const tick = () => {
    const now = performance.now();
    const stall = Math.max(0, now - last - RESOLUTION_MS);
    last = now;
    if (stall > maxMs) maxMs = stall;
    if (stall > 50) over50++;
    if (Date.now() - lastReport < 1000) return;
    lastReport = Date.now();
    const round = (ms) => Math.round(ms * 10) / 10;
    const line = { t: lastReport, maxMs: round(maxMs), over50, gcMaxMs: round(gcMaxMs), gcTotalMs: round(gcTotalMs) };
    maxMs = 0;
    over50 = 0;
    gcMaxMs = 0;
    gcTotalMs = 0;
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // out of fds or disk: skip this second
    }
  };
  const start = () => {
    last = performance.now();
    lastReport = Date.now();
    maxMs = over50 = gcMaxMs = gcTotalMs = 0;
    gc.observe({ entryTypes: ['gc'] });
    timer = setInterval(tick, RESOLUTION_MS);
    timer.unref();
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
    gc.disconnect();
  };
  // SIGUSR2 pauses and resumes the probe: its own timer costs about 0.8 % of a core, which
  // would hide in an idle CPU figure.
  process.on('SIGUSR2', () => (timer === undefined ? start() : stop()));
  start();
}
