import { connect, type Socket } from 'node:net';
import type { ProxyEndpoint } from '../forwarder.js';
import { ReadBuffers } from '../read-buffers.js';
import { sweepsIn } from '../timeout-sweep.js';
import { MutableHttpCounters } from './http-stats.js';
import type { ConnectionBudget } from '../connection-budget.js';

/** Receives the events of an upstream connection while it serves one exchange. */
export interface UpstreamOwner {
  /**
   * Response bytes. `chunk` may be the connection's read buffer, reused for the next read:
   * return true when a reference to it was kept (a write the client socket queued), and the
   * connection reads into a new buffer from then on.
   */
  onUpstreamData(up: Upstream, chunk: Buffer): boolean;
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
  /** Pool sweep tick of the last activity (connect attempt, request, response bytes, release). */
  seen = 0;
  /** Where response bytes are read (sockets opened with `streaming` false); see UpstreamOwner.onUpstreamData. */
  readBuffer: Buffer | undefined = undefined;
  // Assigned right after construction (the socket's read callback needs the Upstream first).
  socket!: Socket;
  constructor(readonly entry: EndpointEntry) {}
}

/**
 * Size of each upstream connection's read buffer. 64 KiB, libuv's own read size: 16 KiB cost
 * 12 % of the 1 MiB-response throughput (bench/proxy big1m).
 */
const READ_BUFFER_BYTES = 64 * 1024;
/** Read buffers of closed connections kept for new ones. */
const SPARE_READ_BUFFERS = 128;

export interface UpstreamPoolOptions {
  readonly connectTimeoutMs: number;
  /** Inactivity allowed while an exchange waits on the endpoint. */
  readonly serverTimeoutMs: number;
  /** Inactivity after which an idle pooled connection is closed. */
  readonly poolIdleTimeoutMs: number;
  /** Idle connections kept per endpoint; more are closed on release. */
  readonly maxIdlePerEndpoint: number;
  /** How often `sweep()` is called; timeouts are counted in sweeps of this length. */
  readonly sweepEveryMs: number;
  /** The proxy's fd budget: idle connections are kept only while it has room, and given up for new clients. */
  readonly budget?: ConnectionBudget | undefined;
}

/** Endpoint counters are pruned once more than this many endpoints have been seen. */
const MAX_ENDPOINT_ENTRIES = 1_024;

/**
 * Keep-alive connections to the endpoints of one frontend: LIFO idle stacks per endpoint
 * (the warmest connection is reused first), bounded, closed after a short idle time so the
 * proxy, not the server, closes them (the server's keep-alive timeout is usually ≥ 5 s).
 *
 * Timeouts (connect, server inactivity, pool idle) need no timer per socket or request: each
 * connection records the sweep tick of its last activity and `sweep()`, called every
 * `sweepEveryMs` by the forwarder, closes the expired ones.
 */
export class UpstreamPool {
  readonly entries = new Map<string, EndpointEntry>();
  private readonly open = new Set<Upstream>();
  private readonly connecting = new Set<Upstream>();
  private readonly readBuffers = new ReadBuffers(READ_BUFFER_BYTES, SPARE_READ_BUFFERS);
  private closed = false;
  /** Sweeps so far: the clock connections' `seen` is read against. */
  tick = 0;
  private readonly connectTicks: number;
  private readonly serverTicks: number;
  private readonly poolIdleTicks: number;
  /** Idle connections, all endpoints (the budget knows this pool while it is > 0). */
  private idleTotal = 0;
  /** Closes the least recently used idle connection, for the budget; false when none is left. */
  private readonly evictOne = (): boolean => {
    for (const e of this.entries.values()) {
      const up = e.idle.shift();
      if (up === undefined) continue;
      this.idleGone(1);
      up.socket.destroy();
      return true;
    }
    return false;
  };

  constructor(private readonly options: UpstreamPoolOptions) {
    this.connectTicks = sweepsIn(options.connectTimeoutMs, options.sweepEveryMs);
    this.serverTicks = sweepsIn(options.serverTimeoutMs, options.sweepEveryMs);
    this.poolIdleTicks = sweepsIn(options.poolIdleTimeoutMs, options.sweepEveryMs);
  }

  /** Open upstream connections (idle and busy). */
  get size(): number {
    return this.open.size;
  }

  /** Connections open or being opened. */
  get busy(): boolean {
    return this.open.size > 0 || this.connecting.size > 0;
  }

  /** Closes connections whose connect, server or pool-idle timeout has passed. */
  sweep(): void {
    const tick = ++this.tick;
    for (const up of this.connecting) {
      if (tick - up.seen > this.connectTicks) {
        up.socket.destroy(Object.assign(new Error(`connect timeout after ${this.options.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }
    }
    for (const up of this.open) {
      if (up.detached) continue;
      if (up.owner === undefined) {
        if (tick - up.seen > this.poolIdleTicks) up.socket.destroy();
      } else if (tick - up.seen > this.serverTicks) {
        up.socket.destroy(Object.assign(new Error(`no upstream activity for ${this.options.serverTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }
    }
  }

  idleCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.idle.length;
    return n;
  }

  entryOf(endpoint: ProxyEndpoint): EndpointEntry {
    let e = this.entries.get(endpoint.key);
    if (e === undefined || e.ip !== endpoint.ip || e.port !== endpoint.port) {
      if (e !== undefined) this.dropIdle(e);
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
    this.idleGone(1);
    up.owner = owner;
    up.seen = this.tick;
    return up;
  }

  /**
   * Opens a new connection; `done` gets it connected and owned by `owner`, or the error.
   * `streaming`: a plain stream socket (for an upgrade, whose socket becomes a tunnel); else
   * response bytes are read into one reused buffer per connection, bypassing stream events.
   */
  connect(entry: EndpointEntry, owner: UpstreamOwner, done: (err: Error | undefined, up: Upstream | undefined) => void, streaming = false): void {
    const up = new Upstream(entry);
    if (streaming) {
      up.socket = connect({ host: entry.ip, port: entry.port, noDelay: true });
    } else {
      up.readBuffer = this.readBuffers.take();
      up.socket = connect({
        host: entry.ip,
        port: entry.port,
        noDelay: true,
        onread: { buffer: () => up.readBuffer as Buffer, callback: (n: number, buf: Buffer) => this.onRead(up, n, buf) },
      });
    }
    const socket = up.socket;
    up.seen = this.tick;
    this.connecting.add(up);
    const onError = (err: Error): void => {
      this.connecting.delete(up);
      entry.connectErrors++;
      done(err, undefined);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      this.connecting.delete(up);
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
      up.seen = this.tick;
      if (streaming) socket.on('data', (chunk: Buffer) => this.onData(up, chunk));
      socket.on('drain', () => up.owner?.onUpstreamDrain(up));
      socket.on('end', () => {
        if (up.owner !== undefined) up.owner.onUpstreamEnd(up);
        else socket.destroy();
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
        if (i >= 0) {
          entry.idle.splice(i, 1);
          this.idleGone(1);
        }
        const owner = up.owner;
        up.owner = undefined;
        // Closed: nothing reads into the buffer any more (one a write kept was replaced).
        if (up.readBuffer !== undefined) this.readBuffers.give(up.readBuffer);
        up.readBuffer = undefined;
        owner?.onUpstreamClose(up, up.error);
      });
      done(undefined, up);
    });
  }

  private onRead(up: Upstream, n: number, buf: Buffer): boolean {
    this.onData(up, n === buf.length ? buf : buf.subarray(0, n));
    return true;
  }

  private onData(up: Upstream, chunk: Buffer): void {
    up.seen = this.tick;
    if (up.owner === undefined) {
      up.socket.destroy(); // bytes on an idle connection: it is out of sync
      return;
    }
    if (up.owner.onUpstreamData(up, chunk) && up.readBuffer !== undefined) up.readBuffer = this.readBuffers.fresh();
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
    const budget = this.options.budget;
    if (budget !== undefined) {
      if (!budget.keepIdle()) {
        socket.destroy();
        return;
      }
      if (this.idleTotal === 0) budget.addEvictor(this.evictOne);
    }
    this.idleTotal++;
    if (socket.isPaused()) socket.resume();
    up.seen = this.tick;
    up.entry.idle.push(up);
  }

  /** `n` connections left the idle stacks (taken, closed or evicted). */
  private idleGone(n: number): void {
    if (n === 0) return;
    this.idleTotal -= n;
    const budget = this.options.budget;
    if (budget === undefined) return;
    budget.idleGone(n);
    if (this.idleTotal === 0) budget.removeEvictor(this.evictOne);
  }

  /** Closes the idle connections of one endpoint. */
  private dropIdle(e: EndpointEntry): void {
    const ups = e.idle.splice(0);
    this.idleGone(ups.length);
    for (const up of ups) up.socket.destroy();
  }

  /** Takes a connection out of the pool for good (a tunnel): only close accounting stays. */
  detach(up: Upstream): void {
    up.detached = true;
    up.owner = undefined;
    up.socket.removeAllListeners('data');
    up.socket.removeAllListeners('drain');
    up.socket.removeAllListeners('end');
  }

  /** Closes idle connections (all endpoints). */
  closeIdle(): void {
    for (const e of this.entries.values()) this.dropIdle(e);
  }

  /** Closes every connection and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const up of [...this.open]) up.socket.destroy();
    for (const up of [...this.connecting]) up.socket.destroy(new Error('proxy closing'));
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
