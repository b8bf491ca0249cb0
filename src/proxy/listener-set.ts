import { createServer, type Server } from 'node:net';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '../core/index.js';
import { TcpForwarder, type EndpointPicker, type ForwarderStats, type TcpForwarderOptions } from './tcp-forwarder.js';

/** What to serve on one port: where connections go, and the service's ProxyMode. */
export interface ProxyRoute {
  readonly picker: EndpointPicker;
  /** `tcp`, `http` or `ws` (ProxyMode); every mode is forwarded as TCP for now. */
  readonly mode: string;
}

export interface ListenerSetOptions extends TcpForwarderOptions {
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
  /** True for `http`/`ws` modes: they are forwarded as plain TCP until HTTP-aware forwarding lands. */
  readonly httpForwardingPending: boolean;
  /** Why the last bind failed (state `failed`). */
  readonly bindError?: { readonly errno: string; readonly message: string };
}

interface Listener {
  readonly port: number;
  mode: string;
  state: ListenerState;
  readonly forwarder: TcpForwarder;
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
        httpForwardingPending: l.mode !== 'tcp',
        ...(l.bindError === undefined ? {} : { bindError: { ...l.bindError } }),
        ...l.forwarder.stats(),
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
          state: 'binding',
          forwarder: new TcpForwarder(route.picker, this.options.clock, logger, this.options),
          logger,
          server: undefined,
          bindError: undefined,
          drainTimer: undefined,
        };
        this.ports.set(port, listener);
        binds.push(this.bind(listener));
      } else {
        listener.forwarder.setPicker(route.picker);
        listener.mode = route.mode;
        if (listener.state === 'failed') binds.push(this.bind(listener));
      }
    }
    await Promise.all(binds);
  }

  private bind(listener: Listener): Promise<void> {
    const { bindIp } = this.options;
    listener.state = 'binding';
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => listener.forwarder.handle(socket));
    return new Promise((resolve) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        server.close();
        const errno = err.code ?? 'UNKNOWN';
        const message = bindFailureMessage(bindIp, listener.port, errno, err);
        if (listener.bindError?.errno !== errno) {
          listener.logger.error({ errno, bindIp }, message);
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
          listener.mode === 'tcp' ? 'proxy listening' : `proxy listening; mode ${listener.mode} is forwarded as TCP until HTTP-aware forwarding lands`,
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
    if (listener.forwarder.activeCount === 0) {
      listener.logger.info('proxy listener removed');
      return;
    }
    this.draining.add(listener);
    listener.logger.info({ connections: listener.forwarder.activeCount, drainTimeoutMs: this.drainTimeoutMs }, 'proxy listener removed; draining');
    listener.drainTimer = this.options.clock.setTimeout(() => {
      listener.drainTimer = undefined;
      listener.logger.info({ connections: listener.forwarder.activeCount }, 'drain timeout; closing the remaining connections');
      listener.forwarder.destroyAll();
    }, this.drainTimeoutMs);
    void listener.forwarder.whenIdle().then(() => {
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
    listener.forwarder.destroyAll();
    await closed;
    await listener.forwarder.whenIdle();
  }
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
