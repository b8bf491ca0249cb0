import { Agent, request } from 'node:http';
import { systemClock } from '../../../../src/core/index.js';
import { ServiceStatus, type Service, type StatusCode } from '../../../../src/catalog/index.js';
import { LoadBalancer, type LoadBalancerOptions, type ProxyStatus } from '../../../../src/proxy/index.js';
import type { FrontendStats } from '../../../../src/proxy/frontend-set.js';
import type { WorkerShare } from '../../../../src/proxy/data-plane.js';
import { makeService, makeState } from '../../../helpers/catalog.js';
import { captureLogger, type LogRecord } from '../../../helpers/log-capture.js';
import { freePort } from '../proxy-harness.js';
import { httpBackend, type HttpBackend } from '../http/http-harness.js';

/*
 * The multi-core proxy under test: a LoadBalancer with real worker threads (`workers: 2` by
 * default) on 127.0.0.1, fed service records the way the agent feeds it, plus HTTP clients
 * that open a new connection per request (so SO_REUSEPORT spreads them over the workers) or
 * keep a few connections alive.
 */

export interface Instance {
  /** The backend's port on 127.0.0.1. */
  readonly port: number;
  readonly servicePort: number;
  readonly mode: 'tcp' | 'http' | 'ws';
  /** Default `web`. */
  readonly name?: string;
  readonly status?: StatusCode;
}

export interface WorkersLb {
  readonly lb: LoadBalancer;
  /** Everything the load balancer (and its workers, relayed) logged. */
  readonly logs: LogRecord[];
  /** Adds or replaces the record `id` (a new `updated` stamp each time). Call apply() after. */
  put(id: string, instance: Instance): void;
  remove(id: string): void;
  /** Hands every record to the load balancer; resolves once every worker applied the table. */
  apply(): Promise<void>;
  describe(): Promise<ProxyStatus>;
  /** The merged frontend of `servicePort` (both workers' counters summed). */
  frontend(servicePort: number): Promise<FrontendStats | undefined>;
  workers(): Promise<readonly WorkerShare[]>;
}

/** A LoadBalancer with `workers` worker threads (default 2), closed after the test. */
export function startWorkersLb(t: { after(fn: () => Promise<void>): void }, options: Partial<LoadBalancerOptions> = {}): WorkersLb {
  const { logger, records: logs } = captureLogger();
  const lb = new LoadBalancer({ bindIp: '127.0.0.1', logger, clock: systemClock, workers: 2, ...options });
  t.after(() => lb.close());
  const { stamps } = makeState(new Date().toISOString());
  const services = new Map<string, Service>();
  return {
    lb,
    logs,
    put(id, i) {
      services.set(
        id,
        makeService({
          id,
          hostname: `host-${id}`,
          name: i.name ?? 'web',
          proxyMode: i.mode,
          status: i.status ?? ServiceStatus.ALIVE,
          updated: stamps.now(),
          ports: [{ type: 'tcp', port: i.port, servicePort: i.servicePort, ip: '127.0.0.1' }],
        }),
      );
    },
    remove(id) {
      services.delete(id);
    },
    apply: () => lb.update([...services.values()]),
    describe: () => lb.describe(),
    frontend: async (servicePort) => (await lb.stats()).find((f) => f.port === servicePort),
    workers: async () => (await lb.describe()).workers ?? [],
  };
}

/**
 * An HTTP-mode service with one HTTP backend per name (each answers its name, closed after the
 * test) on a free ServicePort of a workers balancer: what most worker tests start from.
 */
export async function httpServiceOnWorkers(
  t: { after(fn: () => Promise<void>): void },
  names: readonly string[],
): Promise<{ p: WorkersLb; servicePort: number; backends: HttpBackend[] }> {
  const backends = await Promise.all(names.map((name) => httpBackend(name)));
  t.after(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
  const servicePort = await freePort();
  const p = startWorkersLb(t);
  backends.forEach((b, i) => p.put(`http${i}`, { port: b.endpoint.port, servicePort, mode: 'http' }));
  await p.apply();
  return { p, servicePort, backends };
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One GET on a new connection (`Connection: close`): SO_REUSEPORT picks the worker. */
export function getOnce(port: number, path = '/', timeoutMs = 5_000): Promise<Answer> {
  return send(port, path, { agent: false, headers: { connection: 'close' } }, timeoutMs);
}

/** One GET through `agent` (keep-alive: the same connection, so the same worker, request after request). */
export function getWith(agent: Agent, port: number, path = '/', timeoutMs = 5_000): Promise<Answer> {
  return send(port, path, { agent }, timeoutMs);
}

function send(port: number, path: string, extra: { agent: Agent | false; headers?: Record<string, string> }, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', ...extra, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `n` keep-alive agents of one connection each: `n` client connections that stay open. */
export function keepAliveAgents(t: { after(fn: () => void): void }, n: number): Agent[] {
  const agents = Array.from({ length: n }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  t.after(() => {
    for (const a of agents) a.destroy();
  });
  return agents;
}

/** Counts answers by body (the backend's name); throws on any non-200 or failure. */
export async function tally(answers: Iterable<Promise<Answer>>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const p of answers) {
    const a = await p;
    if (a.status !== 200) throw new Error(`answer ${a.status}: ${a.body}`);
    counts.set(a.body, (counts.get(a.body) ?? 0) + 1);
  }
  return counts;
}

/** One outcome of a load loop. */
export interface Outcome {
  readonly atMs: number;
  readonly ok: boolean;
  readonly body: string;
  /** The loop (0-based) that sent it. */
  readonly loop: number;
}

export interface SteadyLoad {
  readonly outcomes: Outcome[];
  failures(): Outcome[];
  /** Stops every loop once its request in flight settles. */
  stop(): Promise<void>;
}

/**
 * Back-to-back GETs until stop(): `keepAlive` loops each on one keep-alive connection (it
 * reconnects after a failure) and `fresh` loops on a new connection per request. A request
 * fails on a non-200 answer, an error or no answer within 5 s.
 */
export function steadyLoad(t: { after(fn: () => void): void }, port: number, loops: { keepAlive: number; fresh: number }): SteadyLoad {
  const outcomes: Outcome[] = [];
  const agents = keepAliveAgents(t, loops.keepAlive);
  let running = true;
  const senders: Array<() => Promise<Answer>> = [...agents.map((a) => () => getWith(a, port)), ...Array.from({ length: loops.fresh }, () => () => getOnce(port))];
  const done = senders.map(async (sendOne, loop) => {
    while (running) {
      try {
        const a = await sendOne();
        outcomes.push({ atMs: Date.now(), ok: a.status === 200, body: a.status === 200 ? a.body : `${a.status} ${a.body}`, loop });
      } catch (err) {
        outcomes.push({ atMs: Date.now(), ok: false, body: String(err), loop });
      }
    }
  });
  return {
    outcomes,
    failures: () => outcomes.filter((o) => !o.ok),
    stop: async () => {
      running = false;
      await Promise.all(done);
    },
  };
}

/** Resolves after `ms` (for letting load run: the tests assert on what happened, never on time alone). */
export function run(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
