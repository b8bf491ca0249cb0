import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { errorMessage, redactUrls } from '../core/index.js';
import { ABORTED_OUTCOME, type CheckOutcome, type Checker } from './checker.js';
import { failureOutcome } from './local-shortage-outcome.js';

/** Output (stdout and stderr together) kept per run: 4 KiB, plenty for a Nagios-style line. */
const OUTPUT_LIMIT_BYTES = 4096;
/** Characters of that output quoted in the error. */
const OUTPUT_EXCERPT_CHARS = 200;

/**
 * `External`: run a command, Nagios style. The args are split on single spaces and run
 * directly, without a shell (as the Go Sidecar does, whatever its README says: wrap in
 * `sh -c` yourself for pipes or quoting). Exit 0 is healthy; any other exit or a signal is
 * sickly, with the first part of the output; a command that cannot start (missing, not
 * executable) is unknown with an error naming it, and one this host cannot start (out of
 * descriptors, processes or memory: EMFILE, EAGAIN, ENOMEM) a local shortage. On abort the child is killed (SIGKILL);
 * the Go version left timed-out commands running.
 */
export class ExternalChecker implements Checker {
  /** @param spawnFn starts the command (`child_process.spawn`; tests pass a fake). */
  constructor(private readonly spawnFn: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess = spawn) {}

  run(args: string, signal: AbortSignal): Promise<CheckOutcome> {
    // Single spaces, like Go's strings.Split(args, " "): "a  b" gives an empty argument.
    const [command = '', ...argv] = args.split(' ');
    if (command === '') return Promise.resolve({ result: 'unknown', error: `External check has no command (args "${args}")` });
    if (signal.aborted) return Promise.resolve(ABORTED_OUTCOME);
    return new Promise<CheckOutcome>((resolve) => {
      let child: ChildProcess;
      try {
        child = this.spawnFn(command, argv, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      } catch (err) {
        // Invalid arguments (e.g. a NUL byte) and some spawn failures throw synchronously.
        resolve(failureOutcome(err, `cannot run "${redactUrls(command)}": ${redactUrls(errorMessage(err))}`));
        return;
      }
      const chunks: Buffer[] = [];
      let kept = 0;
      const collect = (chunk: Buffer): void => {
        if (kept >= OUTPUT_LIMIT_BYTES) return; // keep draining so the child never blocks on a full pipe
        const part = chunk.subarray(0, OUTPUT_LIMIT_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);

      let settled = false;
      const settle = (outcome: CheckOutcome): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => {
        child.kill('SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        settle(ABORTED_OUTCOME);
      };
      signal.addEventListener('abort', onAbort, { once: true });

      child.on('error', (err: NodeJS.ErrnoException) => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        settle(failureOutcome(err, spawnError(command, err)));
      });
      // 'close' (not 'exit'): all output has been read. Like Go's CombinedOutput, a grandchild
      // holding the pipes open delays it; the monitor's timeout then aborts the run.
      child.on('close', (code: number | null, sig: NodeJS.Signals | null) => {
        if (code === 0) {
          settle({ result: 'healthy' });
          return;
        }
        const how = sig !== null ? `was killed by ${sig}` : `exited with code ${String(code)}`;
        const output = excerpt(Buffer.concat(chunks).toString('utf8'));
        settle({ result: 'sickly', error: `"${redactUrls(command)}" ${how}${output === '' ? '' : `: ${redactUrls(output)}`}` });
      });
    });
  }
}

function spawnError(rawCommand: string, err: NodeJS.ErrnoException): string {
  const command = redactUrls(rawCommand);
  switch (err.code) {
    case 'ENOENT':
      return `command not found: "${command}"`;
    case 'EACCES':
      return `permission denied running "${command}"`;
    default:
      return `cannot run "${command}": ${redactUrls(err.message)}`;
  }
}

function excerpt(output: string): string {
  const oneLine = output.replace(/\s+/g, ' ').trim();
  return oneLine.length > OUTPUT_EXCERPT_CHARS ? `${oneLine.slice(0, OUTPUT_EXCERPT_CHARS)}…` : oneLine;
}
