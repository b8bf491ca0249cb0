import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** How one run of `nft` ended. */
export interface NftResult {
  /** The exit code; `null` when it was killed (timeout) or could not start (`spawnError`). */
  readonly code: number | null;
  /** At most `maxOutputBytes` of stdout (the rest is dropped and `truncated` set). */
  readonly stdout: string;
  /** At most `maxOutputBytes` of stderr: nft's error messages. */
  readonly stderr: string;
  readonly truncated: boolean;
  /** Set when `nft` could not be started (`ENOENT`: not installed, `EACCES`). */
  readonly spawnError?: NodeJS.ErrnoException;
  readonly timedOut: boolean;
  /** From spawn to exit, in milliseconds. */
  readonly elapsedMs: number;
}

export interface NftRunOptions {
  /** The `nft` executable; default `nft` from PATH. */
  readonly nftPath?: string;
  /** Killed (SIGKILL) after this long. Default 5,000 ms: an apply at 1,000 services takes milliseconds, so this only ends a hung nft. */
  readonly timeoutMs?: number;
  /** Kept of each of stdout and stderr. Default 1 MiB: `nft -j list table` at 1,000 services fits; an error message is far smaller. */
  readonly maxOutputBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;

/**
 * Runs `nft <args>` once, writing `stdin` (a ruleset file, one transaction) to it. Never
 * rejects: every way it can end is in the result. One process per call; the timer is cleared
 * and the child reaped before the promise settles.
 */
export function runNft(args: readonly string[], stdin: string, options: NftRunOptions = {}): Promise<NftResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const started = performance.now();
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const size = { out: 0, err: 0 };
    let truncated = false;
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const child = spawn(options.nftPath ?? 'nft', args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
    const keep = (chunks: Buffer[], which: 'out' | 'err') => (chunk: Buffer) => {
      const room = maxOutputBytes - size[which];
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (part !== chunk) truncated = true;
      chunks.push(part);
      size[which] += part.length;
    };
    child.stdout.on('data', keep(out, 'out'));
    child.stderr.on('data', keep(err, 'err'));
    // nft may exit (bad argument) before it read its input: EPIPE is not our error.
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: spawnError === undefined ? code : null,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncated,
        ...(spawnError === undefined ? {} : { spawnError }),
        timedOut,
        elapsedMs: performance.now() - started,
      });
    });
    child.stdin.end(stdin);
  });
}

/** One line about how an nft run ended, for logs and status documents. */
export function describeNftResult(result: NftResult): string {
  if (result.spawnError !== undefined) return `could not start nft: ${result.spawnError.message}`;
  if (result.timedOut) return `nft did not end within its timeout (${Math.round(result.elapsedMs)} ms)`;
  const stderr = result.stderr.trim().split('\n').slice(0, 6).join(' | ');
  return `nft exited with ${String(result.code)}${stderr === '' ? '' : `: ${stderr}`}`;
}
