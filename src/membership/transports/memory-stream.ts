/**
 * The streams of the in-memory network: two connected {@link StreamConnection} ends whose
 * chunks travel with the network's latency, in order and without loss, like a TCP connection
 * on a quiet LAN. A partition that appears under an open stream breaks the direction that
 * tries to cross it: that chunk and every later one are dropped and the reader waits until
 * someone destroys the stream (as TCP would, until the protocol's own timeout gives up).
 */
import type { Clock } from '../../core/index.js';
import type { PeerAddress, StreamConnection } from './transport.js';

/** What a stream needs from its network (implemented by MemoryNetwork). */
export interface StreamLink {
  readonly clock: Clock;
  /** The one-way delay of the next message, in ms (latency plus jitter). */
  delayMs(): number;
  isPartitioned(hostA: string, hostB: string): boolean;
  /** Runs `deliver` now, or when `host`'s stall ends (after what is already held). */
  arrive(host: string, deliver: () => void): void;
  /** The bytes to carry for `data` (a copy when the network copies payloads). */
  carry(data: Uint8Array): Uint8Array;
  countStreamSent(host: string, bytes: number): void;
  countStreamReceived(host: string, bytes: number): void;
}

/** Marks, in a stream's flow of segments, the half-close (`end()`) and the reset (`destroy()`). */
const END = 'end';
const RESET = 'reset';
type Segment = Uint8Array | typeof END | typeof RESET;

interface InFlight {
  readonly atMs: number;
  readonly segment: Segment;
}

/** One end of an in-memory stream. */
export class MemoryStream implements StreamConnection {
  private peer: MemoryStream | null = null;
  /** Received chunks nobody has read yet. */
  private readonly chunks: Uint8Array[] = [];
  private readonly readers: Array<(chunk: Uint8Array | null) => void> = [];
  /** Our outgoing segments, in order of arrival time. */
  private readonly inFlight: InFlight[] = [];
  private lastArrivalMs = Number.NEGATIVE_INFINITY;
  /** A segment of ours was dropped at a partition: everything after it is dropped too. */
  private broken = false;
  private ended = false;
  private destroyed = false;
  /** The peer ended or reset its side: reads finish after the buffered chunks. */
  private remoteDone = false;
  /** The peer reset: what we write goes nowhere. */
  private remoteGone = false;
  private finished = false;

  private constructor(
    private readonly link: StreamLink,
    /** Our host, where chunks to us arrive (and are held while it stalls). */
    readonly localHost: string,
    readonly remote: PeerAddress,
    private readonly onFinished: (stream: MemoryStream) => void,
  ) {}

  /**
   * Makes a connected pair: the dialer's end (whose remote is `listenerAddress`) and the
   * listener's end (whose remote is `dialerAddress`; a real socket would show an ephemeral
   * port there). `onFinished` runs once per end when it is destroyed or closed both ways.
   */
  static pair(
    link: StreamLink,
    dialerAddress: PeerAddress,
    listenerAddress: PeerAddress,
    onDialerFinished: (stream: MemoryStream) => void,
    onListenerFinished: (stream: MemoryStream) => void,
  ): [dialer: MemoryStream, listener: MemoryStream] {
    const dialer = new MemoryStream(link, dialerAddress.host, listenerAddress, onDialerFinished);
    const listener = new MemoryStream(link, listenerAddress.host, dialerAddress, onListenerFinished);
    dialer.peer = listener;
    listener.peer = dialer;
    return [dialer, listener];
  }

  /** True once destroyed (locally, or by the transport's close). */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /**
   * Sends a chunk. The array is carried as is unless the network copies payloads: do not
   * change it after writing. Writes after end() or destroy() are ignored.
   */
  write(data: Uint8Array): void {
    if (this.ended || this.destroyed) return;
    this.link.countStreamSent(this.localHost, data.length);
    if (this.remoteGone) return;
    this.send(this.link.carry(data));
  }

  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.send(END);
    this.checkFinished();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.chunks.length = 0;
    this.flushReaders();
    if (!this.remoteGone) this.send(RESET);
    this.checkFinished();
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.destroyed || this.remoteDone) return Promise.resolve(null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  private send(segment: Segment): void {
    const peer = this.peer;
    if (this.broken || peer === null) return;
    if (this.link.isPartitioned(this.localHost, peer.localHost)) {
      this.broken = true;
      return;
    }
    const clock = this.link.clock;
    const nowMs = clock.nowMs();
    // Later segments never overtake earlier ones, whatever the jitter.
    const atMs = Math.max(nowMs + this.link.delayMs(), this.lastArrivalMs);
    this.lastArrivalMs = atMs;
    this.inFlight.push({ atMs, segment });
    clock.setTimeout(() => this.deliverDue(), atMs - nowMs);
  }

  /** Hands the peer every segment whose time has come, in order (timers may fire in any order on ties). */
  private deliverDue(): void {
    const peer = this.peer;
    if (peer === null) return;
    const nowMs = this.link.clock.nowMs();
    for (;;) {
      const next = this.inFlight[0];
      if (next === undefined || next.atMs > nowMs) return;
      this.inFlight.shift();
      const segment = next.segment;
      this.link.arrive(peer.localHost, () => peer.receive(segment));
    }
  }

  private receive(segment: Segment): void {
    if (this.destroyed) return;
    if (segment === END || segment === RESET) {
      this.remoteDone = true;
      if (segment === RESET) this.remoteGone = true;
      if (this.chunks.length === 0) this.flushReaders();
      this.checkFinished();
      return;
    }
    this.link.countStreamReceived(this.localHost, segment.length);
    const reader = this.readers.shift();
    if (reader !== undefined) reader(segment);
    else this.chunks.push(segment);
  }

  private flushReaders(): void {
    for (const reader of this.readers.splice(0)) reader(null);
  }

  private checkFinished(): void {
    if (this.finished) return;
    if (this.destroyed || this.remoteGone || (this.ended && this.remoteDone)) {
      this.finished = true;
      this.onFinished(this);
    }
  }
}
