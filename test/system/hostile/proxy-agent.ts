import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../helpers/agent-process.js';
import { freePort } from '../../helpers/free-port.js';

/** One static service instance: name, backend port, ServicePort, mode; checked with HttpGet. */
export interface StaticInstance {
  readonly name: string;
  readonly port: number;
  readonly servicePort: number;
  readonly mode: 'http' | 'tcp';
}

/** A real `bin/sidecar` for the proxy's hostile tests: static services, proxy on 127.0.0.1, optionally under `ulimit -n`. */
export interface ProxyAgent {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly api: string;
  readonly logs: Array<Record<string, unknown>>;
  /** Open file descriptors of the agent now (entries of /proc/PID/fd). */
  fds(): number;
  /** GET `path` on the API: the parsed JSON and how long the answer took. */
  getJson<T>(path: string): Promise<{ body: T; ms: number }>;
  stop(): Promise<void>;
}

export async function startProxyAgent(instances: readonly StaticInstance[], options: { args?: readonly string[]; ulimitFiles?: number } = {}): Promise<ProxyAgent> {
  const file = join(mkdtempSync(join(tmpdir(), 'sidecar-hostile-proxy-')), 'static.json');
  writeFileSync(
    file,
    JSON.stringify(
      instances.map((i) => ({
        Service: { Name: i.name, Image: `${i.name}:1`, Ports: [{ Type: 'tcp', Port: i.port, ServicePort: i.servicePort, IP: '127.0.0.1' }], ProxyMode: i.mode },
        Check: { Type: 'HttpGet', Args: `http://127.0.0.1:${i.port}/` },
      })),
    ),
  );
  const args = [
    '--hostname', 'h1', '--discover', 'static', '--static-config', file,
    '--http-port', '0', '--bind-port', String(await freePort()), '--advertise-ip', '127.0.0.1', '--proxy-bind-ip', '127.0.0.1',
    ...(options.args ?? []),
  ];
  const agent = startAgent(args, {}, options.ulimitFiles === undefined ? {} : { fdLimit: options.ulimitFiles });
  const { child, logs } = agent;
  const stop = async (): Promise<void> => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await agent.stop();
    clearTimeout(timer);
  };
  try {
    const api = await agent.apiUrl();
    const pid = child.pid ?? 0;
    return {
      child,
      pid,
      api,
      logs,
      fds: () => readdirSync(`/proc/${pid}/fd`).length,
      getJson: async <T>(path: string) => {
        const started = performance.now();
        const res = await fetch(`${api}${path}`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as T;
        return { body, ms: performance.now() - started };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `/api/services.json`: the statuses of a service's instances. */
export async function statuses(agent: ProxyAgent, name: string): Promise<{ statuses: number[]; ms: number }> {
  const { body, ms } = await agent.getJson<{ Services: Record<string, Array<{ Status: number; Ports: Array<{ Port: number }> }>> }>('/api/services.json');
  return { statuses: (body.Services[name] ?? []).map((s) => s.Status), ms };
}

/** The percentile `p` (0..1) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
