/** One node's {@link Transport} on a MemoryNetwork (made by `MemoryNetwork.createTransport`). */
import { Emitter, ErrorCode, SidecarError } from '../../core/index.js';
import type { MemoryStream } from './memory-stream.js';
import { formatPeerAddress, type IncomingPacket, type PeerAddress, type StreamConnection, type Transport } from './transport.js';

/** What a transport needs from its network (implemented by MemoryNetwork). */
export interface TransportLink {
  /** Binds the transport's address; false when another transport holds it. */
  register(transport: MemoryTransport): boolean;
  unregister(transport: MemoryTransport): void;
  sendPacket(from: MemoryTransport, to: PeerAddress, data: Uint8Array): void;
  dial(from: MemoryTransport, to: PeerAddress, timeoutMs: number): Promise<StreamConnection>;
}

/** The error of a dial that cannot go on because our own transport is closed. */
export function transportClosedError(to: PeerAddress): SidecarError {
  return new SidecarError(ErrorCode.MEMBERSHIP_DIAL, `cannot open a stream to ${formatPeerAddress(to)}: the transport is closed`);
}

export class MemoryTransport implements Transport {
  private state: 'new' | 'started' | 'closed' = 'new';
  private readonly packets = new Emitter<IncomingPacket>();
  private readonly incomingStreams = new Emitter<StreamConnection>();
  readonly onPacket = this.packets.event;
  readonly onStream = this.incomingStreams.event;
  /** Open streams, both dialled and accepted; close() destroys them. */
  private readonly streams = new Set<MemoryStream>();
  /** Cancels (rejects) each dial still in progress; close() runs them. */
  private readonly pendingDials = new Set<() => void>();

  constructor(
    private readonly link: TransportLink,
    readonly advertiseAddress: PeerAddress,
  ) {}

  /** True between a successful start() and close(). */
  get isOpen(): boolean {
    return this.state === 'started';
  }

  /** Number of streams still open on this transport (to show nothing leaks). */
  get openStreams(): number {
    return this.streams.size;
  }

  start(): Promise<void> {
    const address = formatPeerAddress(this.advertiseAddress);
    if (this.state === 'started') return Promise.resolve();
    if (this.state === 'closed') {
      return Promise.reject(new SidecarError(ErrorCode.MEMBERSHIP_BIND, `cannot bind ${address}: this transport was closed (make a new one)`));
    }
    if (!this.link.register(this)) {
      return Promise.reject(
        new SidecarError(ErrorCode.MEMBERSHIP_BIND, `cannot bind ${address}: address already in use on the memory network (choose another port)`),
      );
    }
    this.state = 'started';
    return Promise.resolve();
  }

  /**
   * Sends one datagram. The array is carried as is unless the network copies payloads: do not
   * change it after sending. Ignored before start() and after close().
   */
  sendPacket(to: PeerAddress, data: Uint8Array): void {
    if (this.state === 'started') this.link.sendPacket(this, to, data);
  }

  dialStream(to: PeerAddress, timeoutMs: number): Promise<StreamConnection> {
    if (this.state !== 'started') return Promise.reject(transportClosedError(to));
    return this.link.dial(this, to, timeoutMs);
  }

  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    if (wasStarted) this.link.unregister(this);
    for (const cancel of [...this.pendingDials]) cancel();
    this.pendingDials.clear();
    for (const stream of [...this.streams]) stream.destroy();
    this.streams.clear();
    this.packets.dispose();
    this.incomingStreams.dispose();
    return Promise.resolve();
  }

  // The methods below are for the network only.

  /** @internal */
  deliverPacket(packet: IncomingPacket): void {
    if (this.state === 'started') this.packets.fire(packet);
  }

  /** @internal Hands a new incoming stream to our listeners (unless it died meanwhile). */
  acceptStream(stream: MemoryStream): void {
    if (this.state === 'started' && !stream.isDestroyed) this.incomingStreams.fire(stream);
  }

  /** @internal */
  trackStream(stream: MemoryStream): void {
    if (this.state === 'closed') stream.destroy();
    else this.streams.add(stream);
  }

  /** @internal */
  untrackStream(stream: MemoryStream): void {
    this.streams.delete(stream);
  }

  /** @internal Registers the cancel function of a dial in progress; returns its removal. */
  addPendingDial(cancel: () => void): () => void {
    this.pendingDials.add(cancel);
    return () => this.pendingDials.delete(cancel);
  }
}
