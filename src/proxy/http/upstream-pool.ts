import { connect, type Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../core/index.js';
import type { ProxyEndpoint } from '../tcp-forwarder.js';
import { MutableHttpCounters } from './http-stats.js';

/** Receives the events of an upstream connection while it serves one exchange. */
export interface UpstreamOwner {
  onUpstreamData(up: Upstream, chunk: Buffer): void;
  onUpstreamDrain(up: Upstream): void;
  /** The upstream sent FIN. */
  onUpstreamEnd(up: Upstream): void;
  onUpstreamClose(up: Upstream, err: Error | undefined): void;
}

/** Counters of one endpoint (bytes seen from the client, as in TCP mode). */
export class EndpointEntry {
  connectionsTotal = 0;
  connectionsActive = 0;
  connectErrors = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly http = new MutableHttpCounters();
  /** Idle keep-alive connections, most recently used last. */
  readonly idle: Upstream[] = [];
  constructor(
    readonly key: string,
    readonly ip: string,
    readonly port: number,
  ) {}
}

/** One connection to an endpoint; its listeners dispatch to the current owner. */
export class Upstream {
  owner: UpstreamOwner | undefined = undefined;
  /** Exchanges completed on this connection (> 0: it is a reused keep-alive connection). */
  served = 0;
  error: Error | undefined = undefined;
  /** Detached for a tunnel: the pool's listeners are gone. */
  detached = false;
  constructor(
    readonly socket: Socket,
    readonly entry: EndpointEntry,
  ) {}
}

export interface UpstreamPoolOptions {
  readonly connectTimeoutMs: number;
  /** Inactivity allowed while an exchange waits on the endpoint. */
  readonly serverTimeoutMs: number;
  /** Inactivity after which an idle pooled connection is closed. */
  readonly poolIdleTimeoutMs: number;
  /** Idle connections kept per endpoint; more are closed on release. */
  readonly maxIdlePerEndpoint: number;
}

/** Endpoint counters are pruned once more than this many endpoints have been seen. */
const MAX_ENDPOINT_ENTRIES = 1_024;

/**
 * Keep-alive connections to the endpoints of one listener: LIFO idle stacks per endpoint
 * (the warmest connection is reused first), bounded, closed after a short idle time so the
 * proxy, not the server, closes them (the server's keep-alive timeout is usually ≥ 5 s).
 */
export class UpstreamPool {
  readonly entries = new Map<string, EndpointEntry>();
  private readonly open = new Set<Upstream>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: UpstreamPoolOptions,
  ) {}

  /** Open upstream connections (idle and busy). */
  get size(): number {
    return this.open.size;
  }

  idleCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.idle.length;
    return n;
  }

  entryOf(endpoint: ProxyEndpoint): EndpointEntry {
    let e = this.entries.get(endpoint.key);
    if (e === undefined || e.ip !== endpoint.ip || e.port !== endpoint.port) {
      if (e !== undefined) for (const up of e.idle.splice(0)) up.socket.destroy();
      if (this.entries.size >= MAX_ENDPOINT_ENTRIES) {
        for (const [key, old] of this.entries) if (old.connectionsActive === 0) this.entries.delete(key);
      }
      e = new EndpointEntry(endpoint.key, endpoint.ip, endpoint.port);
      this.entries.set(endpoint.key, e);
    }
    return e;
  }

  /** An idle connection to `entry`, now owned by `owner`, or undefined. */
  take(entry: EndpointEntry, owner: UpstreamOwner): Upstream | undefined {
    const up = entry.idle.pop();
    if (up === undefined) return undefined;
    up.owner = owner;
    up.socket.setTimeout(this.options.serverTimeoutMs);
    return up;
  }

  /** Opens a new connection; `done` gets it connected and owned by `owner`, or the error. */
  connect(entry: EndpointEntry, owner: UpstreamOwner, done: (err: Error | undefined, up: Upstream | undefined) => void): void {
    const socket = connect({ host: entry.ip, port: entry.port, noDelay: true });
    const up = new Upstream(socket, entry);
    let timer: TimerHandle | undefined = this.clock.setTimeout(() => {
      timer = undefined;
      socket.destroy(Object.assign(new Error(`connect timeout after ${this.options.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, this.options.connectTimeoutMs);
    const onError = (err: Error): void => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      timer = undefined;
      entry.connectErrors++;
      done(err, undefined);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      timer = undefined;
      socket.off('error', onError);
      if (this.closed) {
        socket.destroy();
        done(new Error('proxy closing'), undefined);
        return;
      }
      entry.connectionsTotal++;
      entry.connectionsActive++;
      this.open.add(up);
      up.owner = owner;
      socket.setTimeout(this.options.serverTimeoutMs);
      socket.on('data', (chunk: Buffer) => {
        if (up.owner !== undefined) up.owner.onUpstreamData(up, chunk);
        else socket.destroy(); // bytes on an idle connection: it is out of sync
      });
      socket.on('drain', () => up.owner?.onUpstreamDrain(up));
      socket.on('end', () => {
        if (up.owner !== undefined) up.owner.onUpstreamEnd(up);
        else socket.destroy();
      });
      socket.on('timeout', () => {
        if (up.owner === undefined) socket.destroy();
        else socket.destroy(Object.assign(new Error(`no upstream activity for ${this.options.serverTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      socket.on('error', (err) => {
        up.error = err;
      });
      socket.on('close', () => {
        this.open.delete(up);
        entry.connectionsActive--;
        entry.bytesIn += socket.bytesWritten;
        entry.bytesOut += socket.bytesRead;
        const i = entry.idle.indexOf(up);
        if (i >= 0) entry.idle.splice(i, 1);
        const owner = up.owner;
        up.owner = undefined;
        owner?.onUpstreamClose(up, up.error);
      });
      done(undefined, up);
    });
  }

  /** Returns a connection after a complete exchange: kept idle if there is room, else closed. */
  release(up: Upstream): void {
    up.owner = undefined;
    up.served++;
    const socket = up.socket;
    if (this.closed || socket.destroyed || up.entry.idle.length >= this.options.maxIdlePerEndpoint || this.entries.get(up.entry.key) !== up.entry) {
      socket.destroy();
      return;
    }
    if (socket.isPaused()) socket.resume();
    socket.setTimeout(this.options.poolIdleTimeoutMs);
    up.entry.idle.push(up);
  }

  /** Takes a connection out of the pool for good (a tunnel): only close accounting stays. */
  detach(up: Upstream): void {
    up.detached = true;
    up.owner = undefined;
    up.socket.removeAllListeners('data');
    up.socket.removeAllListeners('drain');
    up.socket.removeAllListeners('end');
    up.socket.removeAllListeners('timeout');
    up.socket.setTimeout(0);
  }

  /** Closes idle connections (all endpoints). */
  closeIdle(): void {
    for (const e of this.entries.values()) for (const up of e.idle.splice(0)) up.socket.destroy();
  }

  /** Closes every connection and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const up of [...this.open]) up.socket.destroy();
    this.closeIdle();
  }

  /** Bytes moved by open connections, per entry (added to the closed ones' totals in stats). */
  liveBytes(): Map<EndpointEntry, { bytesIn: number; bytesOut: number }> {
    const out = new Map<EndpointEntry, { bytesIn: number; bytesOut: number }>();
    for (const up of this.open) {
      const sum = out.get(up.entry) ?? { bytesIn: 0, bytesOut: 0 };
      sum.bytesIn += up.socket.bytesWritten;
      sum.bytesOut += up.socket.bytesRead;
      out.set(up.entry, sum);
    }
    return out;
  }
}
