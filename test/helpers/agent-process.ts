import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { eventually } from './eventually.js';

/** A `bin/sidecar` child process with JSON logs collected. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** Parsed JSON log records so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Raw stderr. */
  stderr(): string;
  /** The API base URL, known once the start summary was logged. */
  apiUrl(): Promise<string>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export const SIDECAR_BIN = resolve('bin/sidecar');

export function startAgent(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { fdLimit?: number; netns?: string; wrap?: readonly string[] } = {},
): AgentProcess {
  const argv = ['--logging-format', 'json', ...args];
  // With fdLimit the agent runs under `ulimit -n <fdLimit>` (soft and hard).
  const [bin, binArgs] =
    options.fdLimit === undefined ? [SIDECAR_BIN, argv] : ['bash', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, SIDECAR_BIN, ...argv]];
  // With wrap it runs under that command (e.g. `setpriv …`, which must exec it, so the pid stays the agent's).
  const wrapped: [string, string[]] = options.wrap === undefined || options.wrap.length === 0 ? [bin, binArgs] : [options.wrap[0]!, [...options.wrap.slice(1), bin, ...binArgs]];
  // With netns it runs in that network namespace (`ip netns exec` execs it: the pid stays the agent's).
  const [file, fileArgs] = options.netns === undefined ? wrapped : ['ip', ['netns', 'exec', options.netns, wrapped[0], ...wrapped[1]]];
  const child = spawn(file, fileArgs, {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    child,
    logs,
    stderr: () => stderr,
    apiUrl: () =>
      eventually(
        () => {
          if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${stderr} ${JSON.stringify(logs)}`);
          for (const l of logs) {
            const m = /API on (http:\/\/[^/]+)\//.exec(String(l['msg'] ?? ''));
            if (m?.[1] !== undefined) return m[1];
          }
          throw new Error('agent has not logged its API address yet');
        },
        { timeoutMs: 15_000 },
      ),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** Runs `bin/sidecar` to completion (for commands that exit), with a time limit. */
export async function runAgentToExit(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(SIDECAR_BIN, [...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A JSON log record's time in ms since the epoch (the agent writes RFC 3339, as the Go Sidecar's logrus did); NaN without one. */
export function logTimeMs(record: Record<string, unknown>): number {
  const time = record['time'];
  return typeof time === 'number' ? time : Date.parse(String(time));
}

const LEVEL_NUMBERS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warning: 40, error: 50, fatal: 60 };

/** A JSON log record's level as pino's number (20 debug … 50 error); the agent writes logrus's names (`warning`). */
export function logLevel(record: Record<string, unknown>): number {
  const level = record['level'];
  return typeof level === 'number' ? level : (LEVEL_NUMBERS[String(level)] ?? Number.NaN);
}
