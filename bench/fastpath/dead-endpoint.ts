// Issue #15 item 4: how long a dead endpoint keeps getting connections, through the fast path
// and through the Node balancer. Each mode has a tcp service of two endpoints (processes in h2,
// Tcp health checks on a port of their own); a client opens a new connection every 10 ms to
// each service; one endpoint process per mode is killed (SIGKILL, both at the same moment).
// Measured per mode, from the kill:
// - failures the client saw (refused, reset, closed before the endpoint's line, time-out);
// - the last connection that reached (or tried) the dead endpoint: its SYNs are counted by an
//   nftables counter in h2 (table `ip fpbench`, this bench's own), read every ~10 ms;
// - when the dead endpoint left the rotation: the fast path's rules (`nft list table ip sidecar`
//   in h1), the Node balancer's routes (/api/proxy.json).
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { say } from '../proxy/harness.js';
import { inH2, VIP } from './setup.js';

export interface DeadMode {
  readonly name: string;
  readonly servicePort: number;
  /** The endpoint port killed (in h2). */
  readonly deadPort: number;
  /** Whether the dead endpoint is still in this mode's rotation (rules or routes). */
  readonly inRotation: () => Promise<boolean>;
  /** Whether the endpoint is back with its full share of new connections (the Node balancer's slow start over), before the next trial's kill. */
  readonly fullShare: () => Promise<boolean>;
}

export interface DeadTrial {
  readonly mode: string;
  readonly trial: number;
  /** Connections the client opened from the kill until the dead endpoint left the rotation (+500 ms). */
  readonly connectionsAfterKill: number;
  readonly failuresAfterKill: number;
  readonly failuresBeforeKill: number;
  /** The failures after the kill by kind: an error code (ECONNREFUSED, ECONNRESET…), `closed` (ended before the endpoint's line) or `timeout`. */
  readonly failureKinds: Readonly<Record<string, number>>;
  /** SYNs that reached the dead endpoint's port after the kill (each one a connection sent to it). */
  readonly attemptsAfterKill: number;
  /** ms from the kill to the last SYN counted at the dead endpoint's port (null: none after the kill). */
  readonly lastAttemptMs: number | null;
  /** ms from the kill to the dead endpoint's leaving the rotation (null: not within the limit). */
  readonly droppedMs: number | null;
}

/** Time between new client connections, per mode: 10 ms (the issue's ~100 per second). */
const CLIENT_PERIOD_MS = 10;
/** A client connection that has not received the endpoint's line by then counts as failed: 2 s. */
const CLIENT_TIMEOUT_MS = 2000;
/** How long the dead endpoint may stay in a rotation before the trial gives up on it: 15 s (five health check rounds). */
const DROP_LIMIT_MS = 15_000;
/** The client keeps going this long after the last rotation dropped the endpoint: 500 ms, to see that nothing more reaches it. */
const AFTER_DROP_MS = 500;
const TABLE = 'fpbench';

const counterName = (m: DeadMode): string => `dead_${m.deadPort}`;

/** This bench's own table in h2: one counter of SYNs (connection attempts) per dead endpoint port. */
function installCounters(modes: readonly DeadMode[]): void {
  const lines = [`table ip ${TABLE} {`];
  for (const m of modes) lines.push(`  counter ${counterName(m)} { }`);
  lines.push('  chain input {', '    type filter hook input priority 0; policy accept;');
  for (const m of modes) lines.push(`    tcp dport ${m.deadPort} tcp flags & (syn | ack) == syn counter name "${counterName(m)}"`);
  lines.push('  }', '}');
  const add = spawnSync(inH2(['nft', '-f', '-'])[0] ?? 'ip', inH2(['nft', '-f', '-']).slice(1), { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`nft in h2: ${add.stderr}`);
}

/** The counters' packet counts, by name (one `nft -j` in h2). */
function readCounters(): Promise<Map<string, number>> {
  return new Promise((done) => {
    const argv = inH2(['nft', '-j', 'list', 'counters', 'table', 'ip', TABLE]);
    const child = spawn(argv[0] ?? 'ip', argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('close', () => {
      const counts = new Map<string, number>();
      try {
        const doc = JSON.parse(out) as { nftables: Array<{ counter?: { name: string; packets: number } }> };
        for (const item of doc.nftables) if (item.counter !== undefined) counts.set(item.counter.name, item.counter.packets);
      } catch {
        // An unreadable answer: this poll is skipped.
      }
      done(counts);
    });
  });
}

interface Attempt {
  readonly atMs: number;
  ok: boolean | null;
  /** Why it failed (see DeadTrial.failureKinds). */
  kind?: string;
}
/** Opens a connection to VIP:port every CLIENT_PERIOD_MS; each succeeds when the endpoint's line arrives. */
function clientLoop(port: number): { attempts: Attempt[]; stop: () => Promise<void> } {
  const attempts: Attempt[] = [];
  let open = 0;
  const timer = setInterval(() => {
    const a: Attempt = { atMs: performance.now(), ok: null };
    attempts.push(a);
    open++;
    const s = connect(port, VIP);
    const end = (ok: boolean, kind?: string): void => {
      if (a.ok !== null) return;
      a.ok = ok;
      if (kind !== undefined) a.kind = kind;
      open--;
      clearTimeout(timeout);
      s.destroy();
    };
    const timeout = setTimeout(() => end(false, 'timeout'), CLIENT_TIMEOUT_MS);
    s.setEncoding('utf8');
    s.on('data', (line: string) => end(line.startsWith('e'), 'wrong answer'));
    s.on('error', (err: NodeJS.ErrnoException) => end(false, err.code ?? err.message));
    s.on('close', () => end(false, 'closed'));
  }, CLIENT_PERIOD_MS);
  return {
    attempts,
    stop: async () => {
      clearInterval(timer);
      while (open > 0) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

function countKinds(failed: readonly Attempt[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of failed) out[a.kind ?? 'unknown'] = (out[a.kind ?? 'unknown'] ?? 0) + 1;
  return out;
}

/**
 * Runs `trials` trials: both modes' clients start, after 1 s `kill()` kills each mode's dead
 * endpoint, the trial ends once every mode dropped it (+500 ms); then `revive()` restarts the
 * endpoints and the next trial waits until they are back in every rotation with their full
 * share (the Node balancer's slow start, 10 s by default, over: a revived endpoint killed
 * during it gets fewer connections; in the first trial the endpoints have been up for minutes).
 */
export async function deadEndpointTrials(modes: readonly DeadMode[], kill: () => Promise<void>, revive: () => Promise<void>, trials: number): Promise<DeadTrial[]> {
  installCounters(modes);
  const results: DeadTrial[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    for (const m of modes) while (!(await m.fullShare())) await new Promise((r) => setTimeout(r, 100));
    // The counters, polled back to back: the last time each one changed.
    const lastChange = new Map<string, { packets: number; atMs: number }>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const counts = await readCounters();
        const now = performance.now();
        for (const [name, packets] of counts) if (lastChange.get(name)?.packets !== packets) lastChange.set(name, { packets, atMs: now });
      }
    })();
    const clients = modes.map((m) => clientLoop(m.servicePort));
    await new Promise((r) => setTimeout(r, 1000));
    const atKill = new Map(modes.map((m) => [counterName(m), lastChange.get(counterName(m))?.packets ?? 0]));
    const killedAt = performance.now();
    await kill();
    const dropped = new Map<string, number>();
    while (dropped.size < modes.length && performance.now() - killedAt < DROP_LIMIT_MS) {
      for (const m of modes) if (!dropped.has(m.name) && !(await m.inRotation())) dropped.set(m.name, performance.now() - killedAt);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, AFTER_DROP_MS));
    await Promise.all(clients.map((c) => c.stop()));
    polling = false;
    await poller;
    modes.forEach((m, i) => {
      const attempts = clients[i]?.attempts ?? [];
      const after = attempts.filter((a) => a.atMs >= killedAt);
      const seen = lastChange.get(counterName(m));
      const before = atKill.get(counterName(m)) ?? 0;
      const r: DeadTrial = {
        mode: m.name,
        trial,
        connectionsAfterKill: after.length,
        failuresAfterKill: after.filter((a) => a.ok !== true).length,
        failuresBeforeKill: attempts.filter((a) => a.atMs < killedAt && a.ok !== true).length,
        failureKinds: countKinds(after.filter((a) => a.ok !== true)),
        attemptsAfterKill: (seen?.packets ?? 0) - before,
        lastAttemptMs: seen !== undefined && seen.packets > before ? seen.atMs - killedAt : null,
        droppedMs: dropped.get(m.name) ?? null,
      };
      results.push(r);
      say(`dead endpoint, ${m.name.padEnd(13)} trial ${trial}: ${r.failuresAfterKill}/${r.connectionsAfterKill} client failures ${JSON.stringify(r.failureKinds)}, ${r.attemptsAfterKill} connections sent to it, last at +${r.lastAttemptMs?.toFixed(0) ?? '–'} ms, out of the rotation at +${r.droppedMs?.toFixed(0) ?? '–'} ms`);
    });
    await revive();
  }
  return results;
}
