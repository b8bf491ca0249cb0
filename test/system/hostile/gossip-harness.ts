/**
 * What the hostile gossip tests share: real agents (bin/sidecar) on loopback with a known
 * gossip port, their CPU and memory read from /proc, and an API prober that records latency.
 * The hostile bytes themselves come from test/helpers/gossip-forge.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { freePort } from '../../helpers/free-port.js';

export { LEVEL } from '../../helpers/log-capture.js';

export interface GossipAgent {
  readonly agent: AgentProcess;
  readonly name: string;
  readonly gossipPort: number;
  readonly api: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface GossipAgentOptions {
  readonly name: string;
  readonly seeds?: readonly number[];
  /** Base64 keys for a key file (mode 600), first primary; none: plaintext. */
  readonly keys?: readonly string[];
  /** Static services this agent announces (AlwaysSuccessful checks). */
  readonly services?: readonly string[];
  readonly debug?: boolean;
}

/** Starts an agent on 127.0.0.1 with static discovery and no load balancer. */
export async function startGossipAgent(options: GossipAgentOptions): Promise<GossipAgent> {
  const dir = mkdtempSync(join(tmpdir(), `sidecar-hostile-${options.name}-`));
  const file = join(dir, 'static.json');
  writeFileSync(
    file,
    JSON.stringify(
      (options.services ?? []).map((name, i) => ({
        Service: { Name: name, Image: `${name}:1`, Ports: [{ Type: 'tcp', Port: 18000 + i, ServicePort: 19000 + i }] },
        Check: { Type: 'AlwaysSuccessful', Args: '' },
      })),
    ),
  );
  const args = ['--hostname', options.name, '--discover', 'static', '--static-config', file, '--http-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy'];
  const gossipPort = await freePort();
  args.push('--bind-port', String(gossipPort));
  for (const seed of options.seeds ?? []) args.push('--cluster-ip', `127.0.0.1:${seed}`);
  if (options.keys !== undefined) {
    const keyFile = join(dir, 'gossip.key');
    writeFileSync(keyFile, `${options.keys.join('\n')}\n`, { mode: 0o600 });
    args.push('--encrypt-key-file', keyFile);
  }
  if (options.debug === true) args.push('--logging-level', 'debug');
  const agent = startAgent(args);
  const api = await agent.apiUrl();
  return {
    agent,
    name: options.name,
    gossipPort,
    api,
    pid: agent.child.pid as number,
    stop: async () => {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `/api/members.json` as name → state. */
export async function memberStates(api: string): Promise<Map<string, string>> {
  const doc = (await (await fetch(`${api}/api/members.json`)).json()) as Record<string, { State: string }>;
  return new Map(Object.entries(doc).map(([name, m]) => [name, m.State]));
}

/** Every service instance in `/api/state.json` as `host/name:status`, sorted. */
export async function serviceInstances(api: string): Promise<string[]> {
  const doc = (await (await fetch(`${api}/api/state.json`)).json()) as { Servers?: Record<string, { Services?: Record<string, { Name: string; Status: number }> }> };
  const out: string[] = [];
  for (const [host, server] of Object.entries(doc.Servers ?? {})) {
    for (const svc of Object.values(server.Services ?? {})) out.push(`${host}/${svc.Name}:${svc.Status}`);
  }
  return out.sort();
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time the process has used (user + system), in ms, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Resident memory of the process, in MiB, from /proc/PID/status. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m !== null);
  return Number(m[1]) / 1024;
}

export interface LatencyProbe {
  /** Stops probing; resolves to every latency measured, in ms (a failed request counts as Infinity). */
  stop(): Promise<number[]>;
}

/** Requests `${api}/api/members.json` every `intervalMs`, one at a time, and records each latency. */
export function probeApi(api: string, intervalMs = 50): LatencyProbe {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      try {
        const res = await fetch(`${api}/api/members.json`, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
      } catch {
        latencies.push(Number.POSITIVE_INFINITY);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Log records of an agent whose message matches `pattern`. */
export function logsMatching(agent: AgentProcess, pattern: RegExp, level?: number): Array<Record<string, unknown>> {
  return agent.logs.filter((l) => pattern.test(String(l['msg'] ?? '')) && (level === undefined || logLevel(l) === level));
}
