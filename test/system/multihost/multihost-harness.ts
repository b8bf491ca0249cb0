/**
 * The multi-host test bed of test/system/multihost: fake hosts h1..h3 (network namespaces,
 * 10.77.0.K, the well-known IP on each `lo`, `services` in /etc/netns/hK/hosts), one Docker
 * Engine per host (scripts/multihost/hosts.sh), our single executable dist/sidecar running in
 * each namespace, and a probe process per host that makes client requests from inside it
 * (scripts/multihost/netns-probe.ts). The test process itself stays in the root namespace and
 * reaches each agent's API at 10.77.0.K:7777 over the bridge.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BINARY = resolve('dist/sidecar');
const SCRIPTS = resolve('scripts/multihost');
const PROBE = join(SCRIPTS, 'netns-probe.ts');

/** The address of fake host K on the bridge. */
export const hostIp = (k: number): string => `10.77.0.${k}`;
/** The socket of host K's Docker Engine (scripts/multihost/engines.sh). */
export const dockerSock = (k: number): string => `/run/sidecar-mh/h${k}/docker.sock`;

/**
 * What is missing to run the suite, or null: root, `ip netns`, nsenter, iptables, dockerd and
 * the docker CLI, busybox-static (for the image local/busybox), dist/sidecar.
 */
export function missingPrerequisite(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces, dockerd and iptables need root)';
  const has = (cmd: string, ...args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!has('ip', 'netns', 'list')) return '`ip netns` does not work (install iproute2)';
  if (!has('nsenter', '--version')) return 'nsenter is missing (install util-linux)';
  if (!has('iptables', '-V')) return 'iptables is missing (scripts/docker/install-dockerd.sh installs it)';
  if (!has('dockerd', '--version') || !has('docker', '--version')) return 'dockerd or the docker CLI is missing (run scripts/docker/install-dockerd.sh)';
  if (!existsSync('/bin/busybox') && !has('busybox', 'true')) {
    return 'busybox-static is missing, so the image local/busybox cannot be made (run scripts/docker/install-dockerd.sh)';
  }
  if (!existsSync(BINARY)) return 'dist/sidecar is not built (run npm run build:binary)';
  return null;
}

/** Runs scripts/multihost/<name> with `args`; resolves to its stdout, rejects with its stderr. */
export async function script(name: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(join(SCRIPTS, name), args, { timeout: 90_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`scripts/multihost/${name} ${args.join(' ')} failed: ${e.stderr ?? ''} ${e.message ?? ''}`);
  }
}

/** The docker CLI against host K's engine; resolves to trimmed stdout. */
export async function docker(k: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', `unix://${dockerSock(k)}`, ...args], { timeout: 30_000 });
  return stdout.trim();
}

export interface ProbeReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly status?: number;
  readonly body?: string;
  readonly data?: string;
  readonly loop?: LoopStats;
}

export interface LoopStats {
  readonly requests: number;
  readonly failureCount: number;
  readonly failures: readonly string[];
  /** Answers by body (trimmed). */
  readonly bodies: Readonly<Record<string, number>>;
}

/** A netns-probe.ts process on host K: requests are made from inside that host. */
export class Probe {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: ProbeReply) => void>();
  private stderr = '';

  private constructor(
    readonly host: number,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: ProbeReply;
      try {
        reply = JSON.parse(line) as ProbeReply;
      } catch {
        return;
      }
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.on('exit', (code, signal) => {
      for (const settle of this.waiting.values()) settle({ id: -1, ok: false, error: `probe on h${host} exited (${code ?? signal}): ${this.stderr}` });
      this.waiting.clear();
    });
  }

  static start(k: number): Probe {
    const child = spawn('ip', ['netns', 'exec', `h${k}`, process.execPath, '--import', 'tsx', PROBE], {
      cwd: resolve('.'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new Probe(k, child);
  }

  /** Sends one command; resolves with the reply (ok or not). */
  request(cmd: Record<string, unknown>): Promise<ProbeReply> {
    const id = this.nextId++;
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve({ id, ok: false, error: `probe on h${this.host} has exited: ${this.stderr}` });
    }
    return new Promise((settle) => {
      this.waiting.set(id, settle);
      this.child.stdin?.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }

  /** A GET from this host; the body (trimmed) of a 200, else throws. */
  async get(url: string, timeoutMs = 2000): Promise<string> {
    const reply = await this.request({ op: 'http', url, timeoutMs });
    if (!reply.ok) throw new Error(`GET ${url} from h${this.host}: ${reply.error}`);
    if (reply.status !== 200) throw new Error(`GET ${url} from h${this.host}: status ${reply.status}: ${reply.body}`);
    return (reply.body ?? '').trim();
  }

  /** `count` GETs one after the other; the answers by body. Throws on the first failure. */
  async tally(url: string, count: number): Promise<Map<string, number>> {
    const bodies = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const body = await this.get(url);
      bodies.set(body, (bodies.get(body) ?? 0) + 1);
    }
    return bodies;
  }

  async must(cmd: Record<string, unknown>): Promise<ProbeReply> {
    const reply = await this.request(cmd);
    if (!reply.ok) throw new Error(`probe on h${this.host}: ${JSON.stringify(cmd)} failed: ${reply.error}`);
    return reply;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.end();
    const exited = once(this.child, 'exit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The API token every host agent runs with: the test drains host 2 from the root namespace,
 * a remote peer, and remote mutations need the token.
 */
export const API_TOKEN = 'multihost-test-token';

/** dist/sidecar running on host K (`ip netns exec hK`, which execs it: the child is the agent). */
export class HostAgent {
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;

  constructor(
    readonly host: number,
    private readonly args: readonly string[],
    private readonly logFile: string,
  ) {}

  /** The agent's API base URL, reachable from the root namespace. */
  get api(): string {
    return `http://${hostIp(this.host)}:7777`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it (again); stdout and stderr are appended to the log file. */
  start(): void {
    if (this.running) throw new Error(`agent on h${this.host} is already running`);
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const k = this.host;
    const child = spawn(
      'ip',
      [
        'netns', 'exec', `h${k}`, BINARY, '--hostname', `h${k}`, '--advertise-ip', hostIp(k), '--cluster-ip', hostIp(1),
        '--logging-format', 'json', ...this.args,
      ],
      {
        env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', DOCKER_URL: `unix://${dockerSock(k)}`, SIDECAR_API_TOKEN: API_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === null || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** Stops it if running and closes the log. */
  async close(): Promise<void> {
    await this.stop('SIGKILL');
    await new Promise<void>((done) => (this.log === null ? done() : this.log.end(() => done())));
    this.log = null;
  }
}

/** GET of an agent's API path as JSON, with a short time limit (the agent may be cut off). */
export async function apiJson<T>(agent: HostAgent, path: string): Promise<T> {
  const res = await fetch(`${agent.api}${path}`, { signal: AbortSignal.timeout(1500) });
  if (!res.ok) throw new Error(`GET ${agent.api}${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface ProxyDoc {
  readonly routes: ReadonlyArray<{ servicePort: number; endpoints: ReadonlyArray<{ key: string }>; warming: readonly string[] }>;
}

/** The endpoint keys (`<host>-<id>`) of a ServicePort in the agent's load balancer, and those warming up. */
export async function route(agent: HostAgent, servicePort: number): Promise<{ keys: string[]; warming: string[] }> {
  const doc = await apiJson<ProxyDoc>(agent, '/api/proxy.json');
  const r = doc.routes.find((x) => x.servicePort === servicePort);
  return { keys: (r?.endpoints ?? []).map((e) => e.key).sort(), warming: [...(r?.warming ?? [])] };
}

type StateDoc = { Servers: Record<string, { Services: Record<string, { Status: number }> } | undefined> };

/** The status of service `id` of `hostname` as the agent sees it (0 ALIVE, 1 TOMBSTONE, 4 DRAINING). */
export async function statusOf(agent: HostAgent, hostname: string, id: string): Promise<number | undefined> {
  const doc = await apiJson<StateDoc>(agent, '/api/state.json');
  return doc.Servers[hostname]?.Services[id]?.Status;
}

/** Member name → state (`alive`, `suspect`, `dead`, `left`) as the agent sees it. */
export async function members(agent: HostAgent): Promise<Record<string, string>> {
  const doc = await apiJson<Record<string, { State: string }>>(agent, '/api/members.json');
  return Object.fromEntries(Object.entries(doc).map(([name, m]) => [name, m.State]));
}
