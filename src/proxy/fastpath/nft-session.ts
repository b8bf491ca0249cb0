import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { NftResult } from './nft-runner.js';

export interface NftSessionOptions {
  /** The `nft` executable; default `nft` from PATH. */
  readonly nftPath?: string;
  /** A line with no answer after this long kills the process (the next line starts another). Default 5,000 ms, as {@link runNft}. */
  readonly timeoutMs?: number;
  /** Names the sentinel lines (`<prefix>_sync_<n> !`, never valid): the fast path's table name. */
  readonly sentinelPrefix: string;
  /** Most output kept while waiting for one line's answer. Default 1 MiB; more kills the process. */
  readonly maxOutputBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;

interface Waiting {
  readonly seq: number;
  readonly started: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (r: NftResult) => void;
}

/**
 * One long-lived `nft -i` for the agent's life: each {@link run} writes one line (commands
 * joined with `;`, which nft applies as one transaction) and reads its outcome. A process per
 * update spends most of its time starting and reading the table back from the kernel; this
 * one does that once (measured: docs/fastpath.md). nft says nothing on success, so each line
 * is followed by a sentinel, `<prefix>_sync_<n> !`, a line nft cannot parse: its syntax error
 * (stderr is merged into stdout, so the order holds) marks the end of the line's answer, and
 * anything before it is the line's own error. A parse error costs no kernel round trip (a
 * `list` sentinel would re-read the table after every commit, ~4 ms at 1,000 services, inside
 * the measured update). Lines run one at a time. Never rejects.
 */
export class NftSession {
  private child: ChildProcessWithoutNullStreams | undefined;
  private output = '';
  private seq = 0;
  private waiting: Waiting | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: NftSessionOptions) {}

  /** Applies one line (no newline in it) as one transaction. */
  run(line: string): Promise<NftResult> {
    const next = this.queue.then(() => this.runNow(line));
    this.queue = next;
    return next;
  }

  /** Ends the process (stdin closed, SIGKILL if it lingers). Idempotent; later runs fail at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private runNow(line: string): Promise<NftResult> {
    const started = performance.now();
    if (this.closed || line.includes('\n')) return Promise.resolve(failed(started, this.closed ? 'the nft session is closed' : 'a line must not contain a newline'));
    const child = this.child ?? this.start();
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.kill(), this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.waiting = { seq, started, timer, resolve };
      child.stdin.write(`${line}\n${this.sentinel(seq)}\n`);
    });
  }

  /** The line after line `seq`: a syntax error (nft parses it, touches nothing, and echoes it under `Error:`). */
  private sentinel(seq: number): string {
    return `${this.options.sentinelPrefix}_sync_${seq} !`;
  }

  private start(): ChildProcessWithoutNullStreams {
    // `sh` merges nft's stderr into its stdout, so an error and the sentinel arrive in order.
    const child = spawn('sh', ['-c', 'exec "$0" -i 2>&1', this.options.nftPath ?? 'nft'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.output = '';
    child.stdin.on('error', () => {}); // a dead nft: its exit settles the line
    child.stderr.resume();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onOutput(chunk));
    child.on('error', () => {}); // spawn failures end in 'close' too
    child.on('close', () => {
      // A process killed for a timeout was already let go (and its line settled).
      if (this.child !== child) return;
      this.child = undefined;
      this.settle({ code: null, stdout: '', stderr: this.output, truncated: false, timedOut: false, elapsedMs: 0 });
    });
    return child;
  }

  private onOutput(chunk: string): void {
    this.output += chunk;
    const waiting = this.waiting;
    if (waiting === undefined) return;
    if (this.output.length > (this.options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES)) return this.kill();
    const echoed = this.sentinel(waiting.seq).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const sentinel = new RegExp(`(^|\\n)Error:[^\\n]*\\n${echoed}\\n[ ^~]*\\n`).exec(this.output);
    if (sentinel === null) return;
    const answer = this.output.slice(0, sentinel.index).trim();
    this.output = this.output.slice(sentinel.index + sentinel[0].length);
    this.settle({ code: answer === '' ? 0 : 1, stdout: '', stderr: answer, truncated: false, timedOut: false, elapsedMs: performance.now() - waiting.started });
  }

  private kill(): void {
    const waiting = this.waiting;
    const child = this.child;
    this.child = undefined; // the next line starts another
    child?.kill('SIGKILL');
    if (waiting !== undefined) this.settle({ code: null, stdout: '', stderr: this.output, truncated: false, timedOut: true, elapsedMs: performance.now() - waiting.started });
  }

  private settle(result: NftResult): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    this.waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve(result.elapsedMs === 0 ? { ...result, elapsedMs: performance.now() - waiting.started } : result);
  }
}

function failed(started: number, message: string): NftResult {
  return { code: null, stdout: '', stderr: message, truncated: false, timedOut: false, elapsedMs: performance.now() - started };
}
