import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** One answer of a JSON-lines child: `ok`, and on failure `error`; the rest depends on the command. */
export interface ChildReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly [field: string]: unknown;
}

/**
 * A helper process inside a network namespace (`ip netns exec NS …`, which execs it: the pid is
 * the helper's) that speaks JSON lines: each command sent on stdin carries an `id`, each answer
 * on stdout the same `id` (scripts/multihost/netns-probe.ts, kube-api-server.ts). Any other line
 * it prints (a greeting such as `listening` or the API server's URL) is kept for `nextLine()`.
 */
export class NetnsChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: ChildReply) => void>();
  private readonly other: string[] = [];
  private readonly otherWaiting: Array<(line: string) => void> = [];
  private stderr = '';

  private constructor(
    readonly what: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.on('exit', (code, signal) => {
      const error = `${what} exited (${code ?? signal}): ${this.stderr}`;
      for (const settle of this.waiting.values()) settle({ id: -1, ok: false, error });
      this.waiting.clear();
      for (const settle of this.otherWaiting.splice(0)) settle(`error: ${error}`);
    });
  }

  /** Starts `argv` in namespace `netns`, from the repository's root (for `--import tsx`). */
  static start(what: string, netns: string, argv: readonly string[]): NetnsChild {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { cwd: resolve('.'), stdio: ['pipe', 'pipe', 'pipe'] });
    return new NetnsChild(what, child);
  }

  /** The next line that is not an answer (resolves with `error: …` if the child exits first). */
  nextLine(): Promise<string> {
    const line = this.other.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited()) return Promise.resolve(`error: ${this.what} has exited: ${this.stderr}`);
    return new Promise((settle) => this.otherWaiting.push(settle));
  }

  /** Sends one command; resolves with its answer (ok or not). */
  request(cmd: Record<string, unknown>): Promise<ChildReply> {
    const id = this.nextId++;
    if (this.exited()) return Promise.resolve({ id, ok: false, error: `${this.what} has exited: ${this.stderr}` });
    return new Promise((settle) => {
      this.waiting.set(id, settle);
      this.child.stdin?.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }

  /** Like request(), but throws unless the answer is ok. */
  async ask(cmd: Record<string, unknown>): Promise<ChildReply> {
    const reply = await this.request(cmd);
    if (!reply.ok) throw new Error(`${this.what}: ${JSON.stringify(cmd).slice(0, 200)}: ${reply.error}`);
    return reply;
  }

  /** Kills the child (SIGKILL) and waits for it to be gone. Idempotent. */
  async close(): Promise<void> {
    if (this.exited()) return;
    const gone = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await gone;
  }

  /** Sends SIGKILL without waiting (for a signal handler, which cannot wait). */
  kill(): void {
    if (!this.exited()) this.child.kill('SIGKILL');
  }

  private exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private onLine(line: string): void {
    let reply: ChildReply | undefined;
    try {
      const parsed = JSON.parse(line) as Partial<ChildReply>;
      if (typeof parsed.id === 'number') reply = parsed as ChildReply;
    } catch {
      // not JSON: a greeting
    }
    if (reply === undefined) {
      const settle = this.otherWaiting.shift();
      if (settle === undefined) this.other.push(line);
      else settle(line);
      return;
    }
    this.waiting.get(reply.id)?.(reply);
    this.waiting.delete(reply.id);
  }
}
