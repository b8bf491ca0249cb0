import type { Socket } from 'node:net';
import type { MessagePort, Transferable } from 'node:worker_threads';
import type { Clock } from '../../core/index.js';
import type { FrontendBalancer } from '../frontend-set.js';

/** A connection handed from one worker thread to another (the socket is transferred, not copied). */
interface Handoff {
  readonly port: number;
  readonly socket: Socket;
}

/**
 * How long a worker may go without a heartbeat before the others stop handing it connections
 * (its event loop is blocked: a connection sent there would wait). 150 ms: three beats; a
 * longer GC pause only means no handover for a moment.
 */
export const HEARTBEAT_STALE_MS = 150;
/** How often each worker marks itself alive in the shared heartbeat cells (one store, no message). 50 ms. */
export const HEARTBEAT_INTERVAL_MS = 50;

/**
 * Evens out client connections between the proxy worker threads. The kernel spreads new
 * connections over the workers' SO_REUSEPORT sockets by a hash of the address pair, which is
 * fair for many connections and unfair for a few long-lived ones: a local application's three
 * keep-alive connections can all land on one worker and leave the others idle. So a worker
 * that accepts a connection while it holds clearly more than the least-loaded live worker
 * (at least one more, plus a quarter of that worker's count) hands it over, unread, through a
 * direct channel between the two threads: HAProxy's "least loaded thread" rule, paid for only
 * when the spread is uneven. The counts live in shared memory (one Int32 per worker), so
 * reading them costs no message.
 */
export class ConnectionBalancer implements FrontendBalancer {
  private readonly peers = new Map<number, MessagePort>();
  /** Connections this thread took in (accepted here or handed over), since it started. */
  private accepted = 0;

  /**
   * `load` and `heartbeats` are shared by all workers (one cell per worker slot); `adopt` takes
   * in a connection another worker handed over.
   */
  constructor(
    private readonly index: number,
    private readonly load: Int32Array,
    private readonly heartbeats: Float64Array,
    private readonly clock: Clock,
    private readonly adopt: (port: number, socket: Socket) => void,
  ) {}

  /** Starts this worker's cells afresh (a replaced worker inherits its slot) and beats once. */
  start(): void {
    Atomics.store(this.load, this.index, 0);
    this.beat();
  }

  /** Marks this worker alive now. */
  beat(): void {
    this.heartbeats[this.index] = this.clock.nowMs();
  }

  /** A channel to worker `index`: connections come in on it, and go out on it. */
  addPeer(index: number, port: MessagePort): void {
    this.peers.get(index)?.close();
    this.peers.set(index, port);
    port.on('message', (h: Handoff) => {
      // The sender counted it here already (see divert); accept() counts it again.
      Atomics.sub(this.load, this.index, 1);
      this.adopt(h.port, h.socket);
    });
    port.on('close', () => {
      if (this.peers.get(index) === port) this.peers.delete(index);
    });
  }

  divert(socket: Socket, port: number): boolean {
    if (this.peers.size === 0) return false;
    const mine = Atomics.load(this.load, this.index);
    if (mine === 0) return false;
    const now = this.clock.nowMs();
    let target: number | undefined;
    let least = mine;
    for (const index of this.peers.keys()) {
      const theirs = Atomics.load(this.load, index);
      if (theirs >= least || now - (this.heartbeats[index] ?? 0) > HEARTBEAT_STALE_MS) continue;
      least = theirs;
      target = index;
    }
    const channel = target === undefined ? undefined : this.peers.get(target);
    if (target === undefined || channel === undefined || mine < least + 1 + (least >> 2)) return false;
    // Counted there at once, so a burst of connections is not all sent to the same worker.
    Atomics.add(this.load, target, 1);
    const handoff: Handoff = { port, socket };
    channel.postMessage(handoff, [socket as unknown as Transferable]);
    return true;
  }

  track(socket: Socket): void {
    this.accepted++;
    Atomics.add(this.load, this.index, 1);
    socket.once('close', () => Atomics.sub(this.load, this.index, 1));
  }

  /** Client connections this thread holds now, and has taken in since it started (its load report). */
  report(): { readonly connectionsActive: number; readonly connectionsTotal: number } {
    return { connectionsActive: Atomics.load(this.load, this.index), connectionsTotal: this.accepted };
  }

  close(): void {
    for (const port of this.peers.values()) port.close();
    this.peers.clear();
  }
}
