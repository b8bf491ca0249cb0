import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, errorMessage, type Clock, type Logger, type TimerHandle } from '../core/index.js';
import type { EndpointPicker, Forwarder, ForwarderOptions, ForwarderRoute, ForwarderStats } from './forwarder.js';
import { TcpForwarder } from './tcp-forwarder.js';
import { HttpForwarder, type HttpForwarderStats } from './http/index.js';

/** What to serve on one port: where connections go, and the service's ProxyMode. */
export interface ProxyRoute extends ForwarderRoute {
  /** `tcp`, `http` or `ws` (ProxyMode): `tcp` is forwarded as bytes, `http` and `ws` as HTTP/1.1 (upgrades spliced). */
  readonly mode: string;
}

export interface FrontendSetOptions extends ForwarderOptions {
  /** Address every frontend binds (HAPROXY_BIND_IP; 192.168.168.168 in production). */
  readonly bindIp: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * How long connections of a removed port may stay open before they are destroyed.
   * Default 30000: long enough for ordinary requests to finish, short enough that a removed
   * service is gone within a deploy step.
   */
  readonly drainTimeoutMs?: number;
  /**
   * Bind with SO_REUSEPORT, so that every worker thread holds its own listening socket on each
   * port and the kernel spreads new connections over them. Default false: one exclusive socket.
   */
  readonly reusePort?: boolean;
  /** Worker threads: evens out connections between the threads (see ConnectionBalancer). */
  readonly balancer?: FrontendBalancer;
}

/** What a frontend set asks of the balancer between worker threads. */
export interface FrontendBalancer {
  /** True if the connection was handed to another thread (then this one forgets it). */
  divert(socket: Socket, port: number): boolean;
  /** Counts a connection this thread serves, until it closes. */
  track(socket: Socket): void;
}

export const FRONTEND_SET_DEFAULTS = { drainTimeoutMs: 30_000 } as const;

/**
 * `binding`: bind in progress; `listening`: accepting; `failed`: bind failed, retried on the next
 * apply; `draining`: removed, finishing open connections; `closed`: after close().
 */
export type FrontendState = 'binding' | 'listening' | 'failed' | 'draining' | 'closed';

export interface FrontendStats extends ForwarderStats {
  readonly port: number;
  readonly mode: string;
  readonly state: FrontendState;
  /** True while the listening socket is open. */
  readonly listening: boolean;
  /** HTTP counters (requests, responses by class, errors, latency, pools, ejections); present once the port served HTTP. */
  readonly http?: HttpForwarderStats;
  /** Why the last bind failed (state `failed`). */
  readonly bindError?: { readonly errno: string; readonly message: string };
}

/** What a forwarder of a frontend reports: the common counters, and `http` from the HTTP one. */
type FrontendCounters = ForwarderStats & { readonly http?: HttpForwarderStats };

/** The forwarder kinds: `tcp` moves bytes; `http` serves the `http` and `ws` modes. In stats order. */
type ForwarderKind = 'tcp' | 'http';
const FORWARDER_KINDS: readonly ForwarderKind[] = ['tcp', 'http'];

function kindOf(mode: string): ForwarderKind {
  return mode === 'tcp' ? 'tcp' : 'http';
}

/** One bound ServicePort (HAProxy's frontend): its listening socket and the forwarders behind it. */
interface Frontend {
  readonly port: number;
  mode: string;
  serviceName: string | undefined;
  picker: EndpointPicker;
  state: FrontendState;
  /** One forwarder per kind, made on first use: a mode change leaves open connections with theirs. */
  readonly forwarders: Map<ForwarderKind, Forwarder<FrontendCounters>>;
  readonly logger: Logger;
  server: Server | undefined;
  bindError: { errno: string; message: string } | undefined;
  drainTimer: TimerHandle | undefined;
}

/** Points a frontend (open or draining) and its forwarders at `route`: new connections and requests use it. */
function setRoute(frontend: Frontend, route: ProxyRoute): void {
  frontend.picker = route.picker;
  frontend.serviceName = route.serviceName;
  for (const f of frontend.forwarders.values()) f.setRoute(route);
}

/**
 * The frontends of the load balancer: one listening socket per ServicePort on the bind IP.
 * `apply()` brings the set to a routing table: new ports are opened, existing ones get their
 * new picker (open connections are untouched), removed ones stop accepting and drain.
 */
export class FrontendSet {
  private readonly ports = new Map<number, Frontend>();
  private readonly draining = new Set<Frontend>();
  private readonly drainTimeoutMs: number;
  private queue: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: FrontendSetOptions) {
    this.drainTimeoutMs = options.drainTimeoutMs ?? FRONTEND_SET_DEFAULTS.drainTimeoutMs;
  }

  /**
   * Brings the frontends to `routes` (ServicePort → route). Resolves when every bind has
   * succeeded or failed; bind failures are logged and kept in stats, never thrown. Calls are
   * applied in order.
   */
  apply(routes: ReadonlyMap<number, ProxyRoute>): Promise<void> {
    const run = this.queue.then(() => this.applyNow(routes));
    this.queue = run.catch((err: unknown) => {
      this.options.logger.error({ err: errorMessage(err) }, 'applying proxy routes failed');
    });
    return this.queue;
  }

  /**
   * Another thread ejected `key` from `port`'s rotation until `untilMs`: new connections and
   * requests here skip it too, in either mode (the current mode's forwarder is made ready on a
   * port that served none yet, so its first connection knows).
   */
  adoptEjection(port: number, key: string, untilMs: number): void {
    const frontend = this.ports.get(port);
    if (frontend === undefined) return;
    this.forwarderFor(frontend);
    for (const fw of frontend.forwarders.values()) fw.adoptEjection(key, untilMs);
  }

  /** Counters of every frontend, draining ones included, by port. */
  stats(): FrontendStats[] {
    const all = [...this.ports.values(), ...this.draining];
    return all
      .sort((a, b) => a.port - b.port)
      .map((f) => ({
        port: f.port,
        mode: f.mode,
        state: f.state,
        listening: f.server?.listening ?? false,
        ...(f.bindError === undefined ? {} : { bindError: { ...f.bindError } }),
        ...forwarderStats(f),
      }));
  }

  /** Closes every frontend and destroys every connection, draining ones too. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    await this.queue;
    const all = [...this.ports.values(), ...this.draining];
    this.draining.clear();
    await Promise.all(all.map((l) => this.shut(l)));
  }

  private async applyNow(routes: ReadonlyMap<number, ProxyRoute>): Promise<void> {
    if (this.closing !== undefined) return;
    for (const [port, frontend] of this.ports) {
      if (!routes.has(port)) this.remove(frontend);
    }
    const binds: Promise<void>[] = [];
    for (const [port, route] of routes) {
      let frontend = this.ports.get(port);
      if (frontend === undefined) {
        const logger = this.options.logger.child({ port });
        frontend = {
          port,
          mode: route.mode,
          serviceName: route.serviceName,
          picker: route.picker,
          state: 'binding',
          forwarders: new Map(),
          logger,
          server: undefined,
          bindError: undefined,
          drainTimer: undefined,
        };
        this.ports.set(port, frontend);
        binds.push(this.bind(frontend));
        // The port was removed a moment ago and comes back (e.g. every instance was briefly
        // tombstoned): keep-alive clients still on the draining frontend would otherwise keep
        // the stale rotation for up to drainTimeoutMs. Their next requests use the new route.
        for (const old of this.draining) if (old.port === port) setRoute(old, route);
      } else {
        setRoute(frontend, route);
        frontend.mode = route.mode;
        if (frontend.state === 'failed') binds.push(this.bind(frontend));
      }
    }
    await Promise.all(binds);
  }

  private bind(frontend: Frontend): Promise<void> {
    const { bindIp } = this.options;
    frontend.state = 'binding';
    const balancer = this.options.balancer;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      // Another worker thread with fewer connections takes it (it was accepted paused: nothing read yet).
      if (balancer !== undefined && balancer.divert(socket, frontend.port)) return;
      this.accept(frontend, socket);
    });
    return new Promise((resolve) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        server.close();
        const errno = err.code ?? 'UNKNOWN';
        const message = bindFailureMessage(bindIp, frontend.port, errno, err);
        if (frontend.bindError?.errno !== errno) {
          frontend.logger.error({ code: ErrorCode.PROXY_BIND, errno, bindIp }, message);
        } else {
          frontend.logger.debug({ errno, bindIp }, 'proxy bind retry failed again');
        }
        frontend.bindError = { errno, message };
        frontend.state = 'failed';
        resolve();
      };
      server.once('error', onError);
      const reusePort = this.options.reusePort === true;
      server.listen({ host: bindIp, port: frontend.port, exclusive: true, ...(reusePort ? { reusePort } : {}) }, () => {
        server.off('error', onError);
        server.on('error', (err) => frontend.logger.warn({ err: errorMessage(err) }, 'proxy frontend socket error'));
        frontend.server = server;
        frontend.state = 'listening';
        const recovered = frontend.bindError !== undefined;
        frontend.bindError = undefined;
        frontend.logger.info(
          { bindIp, mode: frontend.mode, recovered },
          'proxy listening',
        );
        resolve();
      });
    });
  }

  /**
   * A connection accepted for `port` by another worker thread, which handed it over (it has
   * fewer open connections here); closed at once if the port is no longer served.
   */
  adopt(port: number, socket: Socket): void {
    const frontend = this.ports.get(port);
    if (frontend === undefined || frontend.state !== 'listening') {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.accept(frontend, socket);
  }

  /** Takes an accepted connection in: counted for the balancer, admitted by the fd budget, handed to the forwarder. */
  private accept(frontend: Frontend, socket: Socket): void {
    this.options.balancer?.track(socket);
    // The process-wide fd budget, checked first and for the price of a comparison.
    const budget = this.options.budget;
    if (budget !== undefined) {
      if (!budget.admit()) {
        refuseOverBudget(socket, frontend.mode);
        return;
      }
      socket.once('close', budget.release);
    }
    this.forwarderFor(frontend).handle(socket);
  }

  /** Stops accepting on a removed port at once; open connections get `drainTimeoutMs` to finish. */
  private remove(frontend: Frontend): void {
    this.ports.delete(frontend.port);
    if (frontend.server === undefined) return;
    frontend.server.close();
    frontend.state = 'draining';
    if (activeCount(frontend) === 0) {
      frontend.logger.info('proxy frontend removed');
      return;
    }
    this.draining.add(frontend);
    frontend.logger.info({ connections: activeCount(frontend), drainTimeoutMs: this.drainTimeoutMs }, 'proxy frontend removed; draining');
    frontend.drainTimer = this.options.clock.setTimeout(() => {
      frontend.drainTimer = undefined;
      frontend.logger.info({ connections: activeCount(frontend) }, 'drain timeout; closing the remaining connections');
      destroyAll(frontend);
    }, this.drainTimeoutMs);
    void whenIdle(frontend).then(() => {
      for (const fw of frontend.forwarders.values()) fw.drained();
      if (frontend.drainTimer !== undefined) this.options.clock.clearTimeout(frontend.drainTimer);
      frontend.drainTimer = undefined;
      this.draining.delete(frontend);
    });
  }

  private async shut(frontend: Frontend): Promise<void> {
    if (frontend.drainTimer !== undefined) this.options.clock.clearTimeout(frontend.drainTimer);
    frontend.drainTimer = undefined;
    frontend.state = 'closed';
    const server = frontend.server;
    const closed = server === undefined || !server.listening ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    destroyAll(frontend);
    await closed;
    await whenIdle(frontend);
  }

  /** The forwarder for a new connection: by the frontend's current mode. */
  private forwarderFor(frontend: Frontend): Forwarder<FrontendCounters> {
    const kind = kindOf(frontend.mode);
    let fw = frontend.forwarders.get(kind);
    if (fw === undefined) {
      const { clock } = this.options;
      const route: ForwarderRoute = { picker: frontend.picker, ...(frontend.serviceName === undefined ? {} : { serviceName: frontend.serviceName }) };
      fw = kind === 'tcp'
        ? new TcpForwarder(frontend.picker, clock, frontend.logger, this.options, { port: frontend.port, ...(frontend.serviceName === undefined ? {} : { serviceName: frontend.serviceName }) })
        : new HttpForwarder(frontend.port, route, clock, frontend.logger, this.options);
      frontend.forwarders.set(kind, fw);
    }
    return fw;
  }
}

function activeCount(f: Frontend): number {
  let n = 0;
  for (const fw of f.forwarders.values()) n += fw.activeCount;
  return n;
}

function destroyAll(f: Frontend): void {
  for (const fw of f.forwarders.values()) fw.destroyAll();
}

async function whenIdle(f: Frontend): Promise<void> {
  await Promise.all([...f.forwarders.values()].map((fw) => fw.whenIdle()));
}

const EMPTY_STATS: ForwarderStats = { connectionsTotal: 0, connectionsActive: 0, rejectedTotal: 0, noEndpointTotal: 0, connectErrors: 0, retriesTotal: 0, bytesIn: 0, bytesOut: 0, ejections: 0, endpoints: [] };

/** The frontend's counters: its forwarders' summed (more than one exists only after a mode change). */
function forwarderStats(f: Frontend): FrontendCounters {
  const all: FrontendCounters[] = [];
  for (const kind of FORWARDER_KINDS) {
    const fw = f.forwarders.get(kind);
    if (fw !== undefined) all.push(fw.stats());
  }
  const [first, ...rest] = all;
  if (first === undefined) return EMPTY_STATS;
  if (rest.length === 0) return first;
  let sum: FrontendCounters = first;
  for (const s of rest) {
    const http = s.http ?? sum.http;
    sum = {
      connectionsTotal: sum.connectionsTotal + s.connectionsTotal,
      connectionsActive: sum.connectionsActive + s.connectionsActive,
      rejectedTotal: sum.rejectedTotal + s.rejectedTotal,
      noEndpointTotal: sum.noEndpointTotal + s.noEndpointTotal,
      connectErrors: sum.connectErrors + s.connectErrors,
      retriesTotal: sum.retriesTotal + s.retriesTotal,
      bytesIn: sum.bytesIn + s.bytesIn,
      bytesOut: sum.bytesOut + s.bytesOut,
      ejections: sum.ejections + s.ejections,
      endpoints: [...sum.endpoints, ...s.endpoints],
      ...(http === undefined ? {} : { http }),
    };
  }
  return sum;
}

const OVER_BUDGET_BODY = JSON.stringify({ message: 'proxy connection limit reached on this host', status: 'error' });
const OVER_BUDGET_503 = Buffer.from(
  `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${OVER_BUDGET_BODY.length}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${OVER_BUDGET_BODY}`,
  'latin1',
);

/**
 * Closes a connection the fd budget has no room for, at once: TCP mode closes it; HTTP mode
 * first hands the kernel a ready-made 503 (one write, no parsing, nothing waited for).
 */
function refuseOverBudget(socket: Socket, mode: string): void {
  socket.on('error', () => undefined);
  if (mode === 'tcp') {
    socket.destroy();
    return;
  }
  socket.end(OVER_BUDGET_503);
  socket.destroySoon();
}

/** One log line that says what went wrong and exactly how to fix it. */
function bindFailureMessage(bindIp: string, port: number, errno: string, err: Error): string {
  const where = `proxy cannot listen on ${bindIp}:${port}`;
  switch (errno) {
    case 'EADDRNOTAVAIL':
      return `${where}: ${bindIp} is not an address of this host. Add it to the loopback interface with \`ip addr add ${bindIp}/32 dev lo\` (as root), or on a laptop run with \`--proxy-bind-ip 127.0.0.1\`. Binding is retried on the next catalog change.`;
    case 'EADDRINUSE':
      return `${where}: the port is already in use (an old HAProxy or another service?). Find the owner with \`ss -ltnp 'sport = :${port}'\` and stop it, or give the service another ServicePort. Binding is retried on the next catalog change.`;
    case 'EACCES':
      return `${where}: ports below 1024 need privilege. Run as root, grant the capability with \`setcap cap_net_bind_service=+ep "$(command -v node)"\`, or use a ServicePort of 1024 or more. Binding is retried on the next catalog change.`;
    default:
      return `${where}: ${errorMessage(err)}. Binding is retried on the next catalog change.`;
  }
}
