/**
 * netns-probe.ts — a client (and a tiny TCP server) that lives on one fake host, for
 * test/system/multihost. Started as `ip netns exec hK node --import tsx
 * scripts/multihost/netns-probe.ts`, so its sockets and name lookups (/etc/netns/hK/hosts) are
 * that host's. It takes one JSON command per line on stdin and answers each with one JSON line
 * on stdout carrying the same `id`:
 *
 *   {"id":1,"op":"http","url":"http://services:9500/","timeoutMs":2000}
 *     -> {"id":1,"ok":true,"status":200,"body":"web-h2\n"} | {"id":1,"ok":false,"error":"..."}
 *   {"id":2,"op":"tcp","host":"192.168.168.168","port":15432,"timeoutMs":2000}
 *     -> {"id":2,"ok":true,"data":"db on h1\n"} (what the server sent before closing)
 *   {"id":3,"op":"serve-tcp","port":5432,"text":"db on h1\n"}
 *     -> {"id":3,"ok":true}: a server on 0.0.0.0:port that writes `text` and closes
 *   {"id":4,"op":"loop-start","url":"...","timeoutMs":2000,"pauseMs":2}
 *     -> {"id":4,"ok":true}: one GET after the other (keep-alive, pauseMs apart) until loop-stop
 *   {"id":5,"op":"loop-stats"} -> the same document as loop-stop, while the loop goes on
 *   {"id":6,"op":"loop-stop"}
 *     -> {"id":6,"ok":true,"loop":{"requests":N,"failureCount":F,"failures":[first 20],"bodies":{...}}}
 *
 * A request fails when it errors, times out or answers a status other than 200.
 */
import { Agent, request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';

interface Command {
  readonly id: number;
  readonly op: string;
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly text?: string;
  readonly timeoutMs?: number;
  /** loop-start: pause between two requests (default 0: back to back). */
  readonly pauseMs?: number;
}

interface LoopStats {
  requests: number;
  failureCount: number;
  failures: string[];
  bodies: Record<string, number>;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
const servers: Server[] = [];
let loop: { running: boolean; stats: LoopStats; done: Promise<void> } | null = null;

function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code}: ${err.message}`;
  }
  return String(err);
}

/** One GET; resolves with status and body, rejects on errors and timeouts. */
function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: keepAlive, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Connects, collects what the server sends until it closes. */
function tcpRead(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no close within ${timeoutMs} ms`)));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

async function runLoop(url: string, timeoutMs: number, pauseMs: number, state: { running: boolean; stats: LoopStats }): Promise<void> {
  const { stats } = state;
  while (state.running) {
    if (pauseMs > 0 && stats.requests > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    stats.requests++;
    try {
      const { status, body } = await get(url, timeoutMs);
      if (status !== 200) throw new Error(`status ${status}: ${body.slice(0, 200)}`);
      const key = body.trim();
      stats.bodies[key] = (stats.bodies[key] ?? 0) + 1;
    } catch (err) {
      stats.failureCount++;
      if (stats.failures.length < 20) stats.failures.push(`${new Date().toISOString()} ${errorText(err)}`);
    }
  }
}

async function handle(cmd: Command): Promise<Record<string, unknown>> {
  const timeoutMs = cmd.timeoutMs ?? 2000;
  switch (cmd.op) {
    case 'http': {
      const { status, body } = await get(cmd.url ?? '', timeoutMs);
      return { status, body };
    }
    case 'tcp':
      return { data: await tcpRead(cmd.host ?? '', cmd.port ?? 0, timeoutMs) };
    case 'serve-tcp': {
      const text = cmd.text ?? '';
      const server = createServer((socket) => {
        socket.on('error', () => socket.destroy());
        socket.end(text);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(cmd.port ?? 0, '0.0.0.0', () => resolve());
      });
      servers.push(server);
      return {};
    }
    case 'loop-start': {
      if (loop !== null) throw new Error('a loop is already running');
      const state: { running: boolean; stats: LoopStats; done: Promise<void> } = {
        running: true,
        stats: { requests: 0, failureCount: 0, failures: [], bodies: {} },
        done: Promise.resolve(),
      };
      state.done = runLoop(cmd.url ?? '', timeoutMs, cmd.pauseMs ?? 0, state);
      loop = state;
      return {};
    }
    case 'loop-stats':
      if (loop === null) throw new Error('no loop is running');
      return { loop: loop.stats };
    case 'loop-stop': {
      const current = loop;
      if (current === null) throw new Error('no loop is running');
      current.running = false;
      await current.done;
      loop = null;
      return { loop: current.stats };
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  let cmd: Command;
  try {
    cmd = JSON.parse(line) as Command;
  } catch (err) {
    reply({ id: -1, ok: false, error: `bad command: ${errorText(err)}` });
    return;
  }
  handle(cmd).then(
    (result) => reply({ id: cmd.id, ok: true, ...result }),
    (err: unknown) => reply({ id: cmd.id, ok: false, error: errorText(err) }),
  );
});
// The test closes stdin (or dies): stop everything and exit.
lines.on('close', () => {
  if (loop !== null) loop.running = false;
  for (const server of servers) server.close();
  keepAlive.destroy();
  process.exit(0);
});
