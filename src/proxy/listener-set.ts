import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, errorMessage, type Clock, type Logger, type TimerHandle } from '../core/index.js';
import { TcpForwarder, type EndpointPicker, type ForwarderStats, type TcpForwarderOptions } from './tcp-forwarder.js';
import { HttpForwarder, type HttpForwarderOptions, type HttpForwarderStats } from './http/index.js';

/** What to serve on one port: where connections go, and the service's ProxyMode. */
export interface ProxyRoute {
  readonly picker: EndpointPicker;
  /** `tcp`, `http` or `ws` (ProxyMode): `tcp` is forwarded as bytes, `http` and `ws` as HTTP/1.1 (upgrades spliced). */
  readonly mode: string;
  /** The service that owns the port, named in the HTTP 503 body when no endpoint is left. */
  readonly serviceName?: string;
  /**
   * Endpoint keys that just entered the route (became ALIVE again: their health check
   * passed); their outlier ejections end now.
   */
  readonly rejoined?: readonly string[];
}

export interface ListenerSetOptions extends TcpForwarderOptions, Omit<HttpForwarderOptions, 'port' | 'serviceName'> {
  /** Address every listener binds (HAPROXY_BIND_IP; 192.168.168.168 in production). */
  readonly bindIp: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * How long connections of a removed port may stay open before they are destroyed.
   * Default 30000: long enough for ordinary requests to finish, short enough that a removed
   * service is gone within a deploy step.
   */
  readonly drainTimeoutMs?: number;
}

export const LISTENER_SET_DEFAULTS = { drainTimeoutMs: 30_000 } as const;

/**
 * `binding`: bind in progress; `listening`: accepting; `failed`: bind failed, retried on the next
 * apply; `draining`: removed, finishing open connections; `closed`: after close().
 */
export type ListenerState = 'binding' | 'listening' | 'failed' | 'draining' | 'closed';

export interface ListenerStats extends ForwarderStats {
  readonly port: number;
  readonly mode: string;
  readonly state: ListenerState;
  /** True while the listening socket is open. */
  readonly listening: boolean;
  /** HTTP counters (requests, responses by class, errors, latency, pools, ejections); present once the port served HTTP. */
  readonly http?: HttpForwarderStats;
  /** Why the last bind failed (state `failed`). */
  readonly bindError?: { readonly errno: string; readonly message: string };
}

interface Listener {
  readonly port: number;
  mode: string;
  serviceName: string | undefined;
  picker: EndpointPicker;
  state: ListenerState;
  /** One forwarder per kind, made on first use: a mode change leaves open connections with theirs. */
  tcp: TcpForwarder | undefined;
  http: HttpForwarder | undefined;
  readonly logger: Logger;
  server: Server | undefined;
  bindError: { errno: string; message: string } | undefined;
  drainTimer: TimerHandle | undefined;
}

/**
 * The listening sockets of the load balancer: one per ServicePort on the bind IP. `apply()`
 * brings the set to a routing table: new ports are opened, existing ones get their new picker
 * (open connections are untouched), removed ones stop accepting and drain.
 */
/** Points a listener (open or draining) and its forwarders at `route`: new connections and requests use it. */
function setRoute(listener: Listener, route: ProxyRoute): void {
  listener.picker = route.picker;
  listener.serviceName = route.serviceName;
  listener.tcp?.setPicker(route.picker);
  listener.http?.setPicker(route.picker, route.serviceName);
  if (route.rejoined !== undefined) listener.http?.forgive(route.rejoined);
}

export class ListenerSet {
  private readonly ports = new Map<number, Listener>();
  private readonly draining = new Set<Listener>();
  private readonly drainTimeoutMs: number;
  private queue: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ListenerSetOptions) {
    this.drainTimeoutMs = options.drainTimeoutMs ?? LISTENER_SET_DEFAULTS.drainTimeoutMs;
  }

  /**
   * Brings the listeners to `routes` (ServicePort → route). Resolves when every bind has
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

  /** Counters of every listener, draining ones included, by port. */
  stats(): ListenerStats[] {
    const all = [...this.ports.values(), ...this.draining];
    return all
      .sort((a, b) => a.port - b.port)
      .map((l) => ({
        port: l.port,
        mode: l.mode,
        state: l.state,
        listening: l.server?.listening ?? false,
        ...(l.bindError === undefined ? {} : { bindError: { ...l.bindError } }),
        ...forwarderStats(l),
      }));
  }

  /** Closes every listener and destroys every connection, draining ones too. Idempotent. */
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
    for (const [port, listener] of this.ports) {
      if (!routes.has(port)) this.remove(listener);
    }
    const binds: Promise<void>[] = [];
    for (const [port, route] of routes) {
      let listener = this.ports.get(port);
      if (listener === undefined) {
        const logger = this.options.logger.child({ port });
        listener = {
          port,
          mode: route.mode,
          serviceName: route.serviceName,
          picker: route.picker,
          state: 'binding',
          tcp: undefined,
          http: undefined,
          logger,
          server: undefined,
          bindError: undefined,
          drainTimer: undefined,
        };
        this.ports.set(port, listener);
        binds.push(this.bind(listener));
        // The port was removed a moment ago and comes back (e.g. every instance was briefly
        // tombstoned): keep-alive clients still on the draining listener would otherwise keep
        // the stale rotation for up to drainTimeoutMs. Their next requests use the new route.
        for (const old of this.draining) if (old.port === port) setRoute(old, route);
      } else {
        setRoute(listener, route);
        listener.mode = route.mode;
        if (listener.state === 'failed') binds.push(this.bind(listener));
      }
    }
    await Promise.all(binds);
  }

  private bind(listener: Listener): Promise<void> {
    const { bindIp } = this.options;
    listener.state = 'binding';
    const budget = this.options.budget;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      // The process-wide fd budget, checked first and for the price of a comparison.
      if (budget !== undefined) {
        if (!budget.admit()) {
          refuseOverBudget(socket, listener.mode);
          return;
        }
        socket.once('close', budget.release);
      }
      this.forwarderFor(listener).handle(socket);
    });
    return new Promise((resolve) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        server.close();
        const errno = err.code ?? 'UNKNOWN';
        const message = bindFailureMessage(bindIp, listener.port, errno, err);
        if (listener.bindError?.errno !== errno) {
          listener.logger.error({ code: ErrorCode.PROXY_BIND, errno, bindIp }, message);
        } else {
          listener.logger.debug({ errno, bindIp }, 'proxy bind retry failed again');
        }
        listener.bindError = { errno, message };
        listener.state = 'failed';
        resolve();
      };
      server.once('error', onError);
      server.listen({ host: bindIp, port: listener.port, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', (err) => listener.logger.warn({ err: errorMessage(err) }, 'proxy listener error'));
        listener.server = server;
        listener.state = 'listening';
        const recovered = listener.bindError !== undefined;
        listener.bindError = undefined;
        listener.logger.info(
          { bindIp, mode: listener.mode, recovered },
          'proxy listening',
        );
        resolve();
      });
    });
  }

  /** Stops accepting on a removed port at once; open connections get `drainTimeoutMs` to finish. */
  private remove(listener: Listener): void {
    this.ports.delete(listener.port);
    if (listener.server === undefined) return;
    listener.server.close();
    listener.state = 'draining';
    if (activeCount(listener) === 0) {
      listener.logger.info('proxy listener removed');
      return;
    }
    this.draining.add(listener);
    listener.logger.info({ connections: activeCount(listener), drainTimeoutMs: this.drainTimeoutMs }, 'proxy listener removed; draining');
    listener.drainTimer = this.options.clock.setTimeout(() => {
      listener.drainTimer = undefined;
      listener.logger.info({ connections: activeCount(listener) }, 'drain timeout; closing the remaining connections');
      destroyAll(listener);
    }, this.drainTimeoutMs);
    void whenIdle(listener).then(() => {
      listener.http?.closeIdleUpstreams();
      if (listener.drainTimer !== undefined) this.options.clock.clearTimeout(listener.drainTimer);
      listener.drainTimer = undefined;
      this.draining.delete(listener);
    });
  }

  private async shut(listener: Listener): Promise<void> {
    if (listener.drainTimer !== undefined) this.options.clock.clearTimeout(listener.drainTimer);
    listener.drainTimer = undefined;
    listener.state = 'closed';
    const server = listener.server;
    const closed = server === undefined || !server.listening ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    destroyAll(listener);
    await closed;
    await whenIdle(listener);
  }

  /** The forwarder for a new connection: by the listener's current mode. */
  private forwarderFor(listener: Listener): TcpForwarder | HttpForwarder {
    if (listener.mode === 'tcp') {
      listener.tcp ??= new TcpForwarder(listener.picker, this.options.clock, listener.logger, this.options);
      return listener.tcp;
    }
    listener.http ??= new HttpForwarder(listener.picker, this.options.clock, listener.logger, {
      ...this.options,
      port: listener.port,
      ...(listener.serviceName === undefined ? {} : { serviceName: listener.serviceName }),
    });
    return listener.http;
  }
}

function activeCount(l: Listener): number {
  return (l.tcp?.activeCount ?? 0) + (l.http?.activeCount ?? 0);
}

function destroyAll(l: Listener): void {
  l.tcp?.destroyAll();
  l.http?.destroyAll();
}

async function whenIdle(l: Listener): Promise<void> {
  await Promise.all([l.tcp?.whenIdle(), l.http?.whenIdle()]);
}

const EMPTY_STATS: ForwarderStats = { connectionsTotal: 0, connectionsActive: 0, rejectedTotal: 0, noEndpointTotal: 0, connectErrors: 0, bytesIn: 0, bytesOut: 0, endpoints: [] };

/** The listener's counters: TCP and HTTP connections summed (both exist only after a mode change). */
function forwarderStats(l: Listener): ForwarderStats & { http?: HttpForwarderStats } {
  const tcp = l.tcp?.stats();
  const httpAll = l.http?.forwarderStats();
  if (httpAll === undefined) return tcp ?? EMPTY_STATS;
  if (tcp === undefined) return httpAll;
  return {
    connectionsTotal: tcp.connectionsTotal + httpAll.connectionsTotal,
    connectionsActive: tcp.connectionsActive + httpAll.connectionsActive,
    rejectedTotal: tcp.rejectedTotal + httpAll.rejectedTotal,
    noEndpointTotal: tcp.noEndpointTotal + httpAll.noEndpointTotal,
    connectErrors: tcp.connectErrors + httpAll.connectErrors,
    bytesIn: tcp.bytesIn + httpAll.bytesIn,
    bytesOut: tcp.bytesOut + httpAll.bytesOut,
    endpoints: [...tcp.endpoints, ...httpAll.endpoints],
    http: httpAll.http,
  };
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
