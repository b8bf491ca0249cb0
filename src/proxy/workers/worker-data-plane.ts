import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { Backoff, ErrorCode, errorMessage, type Clock, type Logger, type TimerHandle } from '../../core/index.js';
import { ConnectionBudget } from '../connection-budget.js';
import type { DataPlane, DataPlaneStatus, WorkerShare } from '../data-plane.js';
import type { ForwarderOptions } from '../forwarder.js';
import type { RoutingTable } from '../routing-table.js';
import { mergeFrontendStats } from './merge-stats.js';
import { snapshotOf, type TableSnapshot } from './table-snapshot.js';
import { proxyWorkerScript, type WorkerScript } from './worker-script.js';
import { PROXY_WORKER_ROLE, type FromWorker, type ProxyWorkerData, type ToWorker, type WorkerFault, type WorkerRuntime } from './worker-protocol.js';
import { relayWorkerLog } from './worker-log-relay.js';
import { WorkerRequests } from './worker-requests.js';

export interface WorkerDataPlaneOptions {
  /** Worker threads, at least 1. */
  readonly workers: number;
  readonly bindIp: string;
  readonly slowStartMs?: number;
  readonly drainTimeoutMs?: number;
  readonly forwarder: Omit<ForwarderOptions, 'budget' | 'onEjected' | 'accessLog'>;
  /** `--proxy-access-log`: each worker opens the file for append itself (or writes to stdout for `-`). */
  readonly accessLogPath?: string;
  /** The proxy's fd budget, shared by all workers (one set of counters). */
  readonly fdBudget?: { readonly maxConnections: number; readonly fdLimit?: number; readonly reserveFds?: number };
  readonly logger: Logger;
  readonly clock: Clock;
  /** Default: proxyWorkerScript(). */
  readonly script?: WorkerScript;
}

/**
 * A worker that sends no load report for this long is taken as stalled (its event loop is
 * blocked, so the connections the kernel keeps handing its listeners wait) and is replaced.
 * 5 s: far above any GC pause or routing update, short enough that a stall costs seconds, not a deploy.
 */
export const WORKER_STALL_TIMEOUT_MS = 5_000;
/** How long close() waits for a worker to close its frontends before it is terminated. 5 s. */
const CLOSE_TIMEOUT_MS = 5_000;
/**
 * A worker that dies within this long of its start is restarted after a growing delay
 * (100 ms doubling to 5 s), so a worker that cannot start does not spin; otherwise at once.
 */
const CRASH_LOOP_WINDOW_MS = 10_000;

interface Slot {
  readonly index: number;
  thread: Worker | undefined;
  /** `starting`: spawned, not ready; `running`; `down`: dead, replacement scheduled; `stopped`: after close. */
  state: 'starting' | 'running' | 'down' | 'stopped';
  startedAtMs: number;
  lastReportMs: number;
  /** Generation of the last table this thread applied. */
  applied: number;
  connectionsActive: number;
  connectionsTotal: number;
  restarts: number;
  lostConnections: number;
  lastError: string | undefined;
  readonly backoff: Backoff;
  respawnTimer: TimerHandle | undefined;
  readonly logger: Logger;
}

interface Pending<T> {
  readonly done: (slot: Slot) => boolean;
  readonly resolve: (value: T) => void;
}

/**
 * The multi-core data plane: `workers` threads, each a ThreadDataPlane with its own
 * SO_REUSEPORT listener on every ServicePort (the kernel spreads new connections over them).
 * The main thread only posts routing tables (the same frozen snapshot to every worker),
 * relays outlier ejections between workers, gathers their counters on demand, and replaces
 * a worker that dies or stalls. It never touches a client or upstream socket.
 */
export class WorkerDataPlane implements DataPlane {
  private readonly slots: Slot[] = [];
  /** The newest table, serialized once for every worker. */
  private table: TableSnapshot | undefined;
  private generation = 0;
  private readonly acks = new Set<Pending<void>>();
  /** Requests (stats, runtime) waiting for a worker's answer. */
  private readonly requests: WorkerRequests<Slot>;
  private readonly counters: SharedArrayBuffer | undefined;
  /** The ConnectionBalancer's shared cells: open connections and heartbeats, one per slot. */
  private readonly load: SharedArrayBuffer;
  private readonly loadCells: Int32Array;
  private readonly heartbeats: SharedArrayBuffer;
  private readonly count: number;
  private readonly budgetView: ConnectionBudget | undefined;
  private watchdog: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  /** Live outlier ejections by `port key`, replayed to a worker that replaces a dead one (it never saw them). */
  private readonly ejections = new Map<string, { readonly port: number; readonly key: string; readonly untilMs: number }>();

  constructor(private readonly options: WorkerDataPlaneOptions) {
    this.requests = new WorkerRequests(options.clock);
    this.count = Math.max(1, Math.floor(options.workers));
    this.load = new SharedArrayBuffer(this.count * Int32Array.BYTES_PER_ELEMENT);
    this.loadCells = new Int32Array(this.load);
    this.heartbeats = new SharedArrayBuffer(this.count * Float64Array.BYTES_PER_ELEMENT);
    const b = options.fdBudget;
    const counters = b === undefined ? undefined : ConnectionBudget.sharedCounters();
    this.counters = counters;
    this.budgetView = b === undefined || counters === undefined ? undefined : new ConnectionBudget({ ...b, counters, logger: options.logger, clock: options.clock });
  }

  apply(table: RoutingTable): Promise<void> {
    if (this.closing !== undefined) return Promise.resolve();
    this.start();
    const snapshot = snapshotOf(table);
    this.table = snapshot;
    // An endpoint that left its route is forgiven when it comes back (its health check passed): no replay.
    for (const [id, e] of this.ejections) if (!table.routes.some((r) => r.servicePort === e.port && r.endpoints.some((x) => x.key === e.key))) this.ejections.delete(id);
    const generation = ++this.generation;
    for (const slot of this.slots) if (slot.state === 'running') this.post(slot, { type: 'routes', generation, table: snapshot });
    // Every live worker applies it (one starting now gets it when ready); a dead one gets the newest table when replaced.
    return this.until(this.acks, (slot) => slot.state === 'down' || slot.state === 'stopped' || slot.applied >= generation);
  }

  async status(): Promise<DataPlaneStatus> {
    const live = this.slots.filter((s) => s.state === 'running');
    const replies = await Promise.all(live.map((s) => this.requests.ask<DataPlaneStatus>(s, (id) => this.post(s, { type: 'stats', id }))));
    const answered = new Map<Slot, DataPlaneStatus>();
    live.forEach((s, i) => {
      const r = replies[i];
      if (r !== undefined) answered.set(s, r);
    });
    const warming = new Map<number, readonly string[]>();
    for (const r of answered.values()) {
      for (const [port, keys] of r.warming) warming.set(port, [...new Set([...(warming.get(port) ?? []), ...keys])].sort());
    }
    return {
      frontends: mergeFrontendStats([...answered.values()].map((r) => r.frontends)),
      warming,
      connectionBudget: this.budgetView?.stats() ?? null,
      workers: this.slots.map((s) => share(s, answered.get(s))),
    };
  }

  /**
   * Each live worker's heap and event-loop handles (sockets, servers, timers), after a full
   * collection when `gc` and the process runs with --expose-gc: what a soak test watches for growth.
   */
  async runtime(gc = false): Promise<WorkerRuntime[]> {
    const live = this.slots.filter((s) => s.state === 'running');
    const answers = await Promise.all(live.map((s) => this.requests.ask<WorkerRuntime>(s, (id) => this.post(s, { type: 'runtime', id, gc }))));
    return answers.filter((a): a is WorkerRuntime => a !== undefined);
  }

  /** Fault injection for tests: makes worker `index` throw, exit or stall, as a bug in it would. */
  injectFault(index: number, kind: WorkerFault): void {
    const slot = this.slots[index];
    if (slot !== undefined) this.post(slot, { type: 'fault', kind });
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.watchdog !== undefined) this.options.clock.clearInterval(this.watchdog);
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
    for (const p of this.acks) p.resolve();
    this.acks.clear();
  }

  /** Spawns the workers on first use (the constructor starts nothing). */
  private start(): void {
    if (this.slots.length > 0) return;
    for (let index = 0; index < this.count; index++) {
      const slot: Slot = {
        index,
        thread: undefined,
        state: 'starting',
        startedAtMs: 0,
        lastReportMs: 0,
        applied: 0,
        connectionsActive: 0,
        connectionsTotal: 0,
        restarts: 0,
        lostConnections: 0,
        lastError: undefined,
        backoff: new Backoff({ initialMs: 100, maxMs: 5_000 }),
        respawnTimer: undefined,
        logger: this.options.logger.child({ worker: index }),
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
    this.watchdog = this.options.clock.setInterval(() => this.checkStalls(), WORKER_STALL_TIMEOUT_MS / 5);
  }

  private spawn(slot: Slot): void {
    slot.respawnTimer = undefined;
    if (this.closing !== undefined) return;
    const o = this.options;
    // A direct channel to every other live worker, for handing connections over (ConnectionBalancer).
    const peers: { index: number; port: MessagePort }[] = [];
    for (const other of this.slots) {
      if (other === slot || other.thread === undefined) continue;
      const { port1, port2 } = new MessageChannel();
      peers.push({ index: other.index, port: port1 });
      other.thread.postMessage({ type: 'peer', index: slot.index, port: port2 } satisfies ToWorker, [port2]);
    }
    const data: ProxyWorkerData = {
      role: PROXY_WORKER_ROLE,
      index: slot.index,
      load: this.load,
      heartbeats: this.heartbeats,
      peers,
      logLevel: o.logger.level,
      bindIp: o.bindIp,
      forwarder: o.forwarder,
      ...(o.slowStartMs === undefined ? {} : { slowStartMs: o.slowStartMs }),
      ...(o.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: o.drainTimeoutMs }),
      ...(o.accessLogPath === undefined ? {} : { accessLogPath: o.accessLogPath }),
      ...(o.fdBudget === undefined || this.counters === undefined ? {} : { budget: { ...o.fdBudget, counters: this.counters } }),
    };
    const script = o.script ?? proxyWorkerScript();
    const transferList = peers.map((p) => p.port);
    const thread = 'url' in script ? new Worker(script.url, { workerData: data, transferList }) : new Worker(script.code, { eval: true, workerData: data, transferList });
    slot.thread = thread;
    slot.state = 'starting';
    slot.applied = 0;
    slot.connectionsActive = 0;
    slot.connectionsTotal = 0;
    slot.lastError = undefined;
    slot.startedAtMs = o.clock.nowMs();
    slot.lastReportMs = slot.startedAtMs;
    thread.on('message', (msg: FromWorker) => {
      if (slot.thread === thread) this.onMessage(slot, thread, msg);
    });
    thread.on('error', (err) => {
      if (slot.thread === thread) slot.lastError = err instanceof Error ? (err.stack ?? err.message) : errorMessage(err);
    });
    thread.on('exit', (code) => {
      if (slot.thread === thread) this.onExit(slot, code);
    });
  }

  private onMessage(slot: Slot, thread: Worker, msg: FromWorker): void {
    slot.lastReportMs = this.options.clock.nowMs();
    switch (msg.type) {
      case 'ready':
        slot.state = 'running';
        if (this.table !== undefined) this.post(slot, { type: 'routes', generation: this.generation, table: this.table });
        else this.settle(this.acks);
        return;
      case 'applied':
        // A new thread's first table is in place (its frontends exist): it adopts the ejections so far.
        if (slot.applied === 0) this.replayEjections(slot);
        slot.applied = Math.max(slot.applied, msg.generation);
        this.settle(this.acks);
        return;
      case 'ejected':
        this.ejections.set(`${msg.port} ${msg.key}`, { port: msg.port, key: msg.key, untilMs: msg.untilMs });
        for (const other of this.slots) if (other !== slot && other.state === 'running') this.post(other, { type: 'eject', port: msg.port, key: msg.key, untilMs: msg.untilMs });
        return;
      case 'stats':
        this.requests.answer(msg.id, msg.status);
        return;
      case 'runtime':
        this.requests.answer(msg.id, msg.runtime);
        return;
      case 'load':
        slot.connectionsActive = msg.connectionsActive;
        slot.connectionsTotal = msg.connectionsTotal;
        return;
      case 'log':
        relayWorkerLog(slot.logger, msg.line);
        return;
      case 'closed':
        void thread.terminate();
        return;
    }
  }

  private onExit(slot: Slot, exitCode: number): void {
    slot.thread = undefined;
    this.requests.fail(slot);
    if (this.closing !== undefined) {
      slot.state = 'stopped';
      this.settle(this.acks);
      return;
    }
    // The balancer's shared count is exact at any moment (the load report is up to a second old).
    const lost = Math.max(slot.connectionsActive, Atomics.load(this.loadCells, slot.index));
    const now = this.options.clock.nowMs();
    if (now - slot.startedAtMs >= CRASH_LOOP_WINDOW_MS) slot.backoff.reset();
    const delayMs = now - slot.startedAtMs >= CRASH_LOOP_WINDOW_MS ? 0 : slot.backoff.next();
    slot.restarts++;
    slot.lostConnections += lost;
    slot.state = 'down';
    slot.connectionsActive = 0;
    slot.logger.error(
      { code: ErrorCode.PROXY_WORKER_DIED, exitCode, err: slot.lastError, lostConnections: lost, restartInMs: delayMs },
      `proxy worker ${slot.index} died (${slot.lastError?.split('\n')[0] ?? `exit code ${exitCode}`}); ${lost} client connection(s) lost; ` +
        `replacing it${delayMs > 0 ? ` in ${delayMs} ms` : ''}, the other workers keep serving`,
    );
    this.settle(this.acks);
    slot.respawnTimer = this.options.clock.setTimeout(() => this.spawn(slot), delayMs);
  }

  private replayEjections(slot: Slot): void {
    const now = this.options.clock.nowMs();
    for (const [id, e] of this.ejections) {
      if (e.untilMs <= now) this.ejections.delete(id);
      else this.post(slot, { type: 'eject', port: e.port, key: e.key, untilMs: e.untilMs });
    }
  }

  /** A live worker that has not reported for WORKER_STALL_TIMEOUT_MS is terminated (and so replaced). */
  private checkStalls(): void {
    const now = this.options.clock.nowMs();
    for (const slot of this.slots) {
      if ((slot.state !== 'running' && slot.state !== 'starting') || slot.thread === undefined) continue;
      const silentMs = now - slot.lastReportMs;
      if (silentMs < WORKER_STALL_TIMEOUT_MS) continue;
      slot.lastError = `stalled: no report for ${silentMs} ms (event loop blocked)`;
      slot.lastReportMs = now;
      void slot.thread.terminate();
    }
  }

  private async stop(slot: Slot): Promise<void> {
    if (slot.respawnTimer !== undefined) this.options.clock.clearTimeout(slot.respawnTimer);
    slot.respawnTimer = undefined;
    const thread = slot.thread;
    if (thread === undefined) {
      slot.state = 'stopped';
      return;
    }
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    this.post(slot, { type: 'close' });
    const timer = this.options.clock.setTimeout(() => void thread.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    this.options.clock.clearTimeout(timer);
  }

  private post(slot: Slot, msg: ToWorker): void {
    slot.thread?.postMessage(msg);
  }

  /** Resolves once `done` holds for every slot. */
  private until(set: Set<Pending<void>>, done: (slot: Slot) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const pending: Pending<void> = { done, resolve };
      set.add(pending);
      this.settle(set);
    });
  }

  private settle(set: Set<Pending<void>>): void {
    for (const p of set) {
      if (!this.slots.every(p.done)) continue;
      set.delete(p);
      p.resolve();
    }
  }
}

function share(slot: Slot, status: DataPlaneStatus | undefined): WorkerShare {
  let active = slot.connectionsActive;
  let total = slot.connectionsTotal;
  let requests = 0;
  if (status !== undefined) {
    active = 0;
    total = 0;
    for (const f of status.frontends) {
      active += f.connectionsActive;
      total += f.connectionsTotal;
      requests += f.http?.requests ?? 0;
    }
  }
  const state = slot.state === 'running' && status === undefined ? 'unresponsive' : slot.state;
  return { index: slot.index, state, connectionsActive: active, connectionsTotal: total, requests, restarts: slot.restarts, lostConnections: slot.lostConnections };
}
