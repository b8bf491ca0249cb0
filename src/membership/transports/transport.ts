/**
 * What the protocol needs from the network, behind an interface so the same code runs on real
 * sockets (UDP packets + TCP streams, as memberlist's NetTransport) and on the in-memory
 * network of the simulator and fast tests. Transports move bytes only: encryption, labels,
 * compression and CRCs are the protocol's business.
 */
import type { Event } from '../../core/index.js';

/** An IP address (v4 dotted or v6) and port, as peers are reached. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface IncomingPacket {
  readonly data: Uint8Array;
  readonly from: PeerAddress;
  /** Clock time the packet was read, in ms (memberlist stamps packets on arrival). */
  readonly receivedAtMs: number;
}

/** One reliable byte stream (a TCP connection), read by pulling. */
export interface StreamConnection {
  readonly remote: PeerAddress;
  write(data: Uint8Array): void;
  /** Half-closes our side after pending writes. */
  end(): void;
  /** Closes both ways at once; pending and future reads resolve `null`. Idempotent. */
  destroy(): void;
  /**
   * The next chunk received, or `null` once the stream has ended, failed or been destroyed.
   * Chunks that arrive before anyone reads are kept, so nothing is lost between dial and read.
   */
  read(): Promise<Uint8Array | null>;
}

export interface Transport {
  /** The address peers should use for us (valid after {@link start}). */
  readonly advertiseAddress: PeerAddress;
  /** Binds the sockets. Rejects with a catalogue error naming the address when it cannot. */
  start(): Promise<void>;
  /** Sends one datagram; failures are counted and logged, never thrown (UDP is best effort). */
  sendPacket(to: PeerAddress, data: Uint8Array): void;
  /** Opens a stream; rejects when the peer cannot be reached within `timeoutMs`. */
  dialStream(to: PeerAddress, timeoutMs: number): Promise<StreamConnection>;
  readonly onPacket: Event<IncomingPacket>;
  /** A peer opened a stream to us; the listener owns it and must end or destroy it. */
  readonly onStream: Event<StreamConnection>;
  /** Closes the sockets and every open stream. Idempotent. */
  close(): Promise<void>;
}

/** `host:port`, with brackets around IPv6 hosts. */
export function formatPeerAddress(a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
