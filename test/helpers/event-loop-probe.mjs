// Loaded into an agent with NODE_OPTIONS="--import <this file>" by bench/catalog-scale.ts and
// test/system/hostile/catalog-scale.test.ts: a 10 ms interval timer measures how late it fires
// (the event-loop stall), and once a second one JSON line {"t": <ms>, "maxMs": <worst stall>,
// "over50": <stalls over 50 ms>, "gcMaxMs", "gcTotalMs": the longest and total GC pauses} is appended to the file named by EVENT_LOOP_PROBE_FILE. Main
// thread only; without the variable it does nothing. Plain JS: it runs before the agent's
// TypeScript loader. (perf_hooks.monitorEventLoopDelay on Node 20 missed a 200 ms busy loop in
// a trial, so the probe times its own timer.)
import { appendFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const RESOLUTION_MS = 10;
const file = process.env.EVENT_LOOP_PROBE_FILE;
if (isMainThread && file) {
  delete process.env.EVENT_LOOP_PROBE_FILE; // not for the agent's children (External checks)
  let last = performance.now();
  let maxMs = 0;
  let over50 = 0;
  let gcMaxMs = 0;
  let gcTotalMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcTotalMs += entry.duration;
      if (entry.duration > gcMaxMs) gcMaxMs = entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  let lastReport = Date.now();
  const timer = setInterval(() => {
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
  }, RESOLUTION_MS);
  timer.unref();
}
