/**
 * A TCP socket seen as a pull-based {@link StreamConnection}: chunks are queued as they
 * arrive, and the socket is paused while too many bytes wait unread, so a fast or hostile
 * peer cannot make us buffer without bound.
 */
import type { Socket } from 'node:net';
import type { PeerAddress, StreamConnection } from './transport.js';

export interface NetStreamOptions {
  /** Unread bytes buffered before the socket is paused (resumed at half). Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Runs once, when the socket has closed (both ways, or destroyed). */
  readonly onClosed: (stream: NetStream) => void;
  /** A socket error (reset, timeout…): reads end with null; the owner may log it. */
  readonly onError: (stream: NetStream, err: Error) => void;
  /** Counts bytes received. */
  readonly onBytesReceived?: (bytes: number) => void;
}

/** Default cap on unread bytes per stream: 1 MiB, far above a push/pull of a large cluster's catalog. */
export const DEFAULT_STREAM_MAX_BUFFERED_BYTES = 1024 * 1024;

/** Strips the `::ffff:` prefix a dual-stack socket puts on IPv4 peers. */
export function normalizeHost(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

export class NetStream implements StreamConnection {
  private readonly chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private readonly readers: Array<(chunk: Uint8Array | null) => void> = [];
  /** The peer ended, or the socket failed or closed: reads finish after the buffered chunks. */
  private done = false;
  private destroyed = false;
  private paused = false;
  private closed = false;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly socket: Socket,
    readonly remote: PeerAddress,
    private readonly options: NetStreamOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_STREAM_MAX_BUFFERED_BYTES;
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => this.finish());
    socket.on('error', (err) => {
      this.finish();
      options.onError(this, err);
    });
    socket.on('close', () => {
      this.finish();
      if (this.closed) return;
      this.closed = true;
      options.onClosed(this);
    });
  }

  /** Sends a chunk (queued by the socket: do not change the array afterwards). Ignored once closed. */
  write(data: Uint8Array): void {
    if (this.destroyed || this.socket.writableEnded || this.socket.destroyed) return;
    this.socket.write(data);
  }

  end(): void {
    if (this.destroyed || this.socket.writableEnded) return;
    this.socket.end();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    this.socket.destroy();
    this.flushReaders();
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.bufferedBytes -= chunk.length;
      if (this.paused && this.bufferedBytes <= this.maxBufferedBytes / 2) {
        this.paused = false;
        this.socket.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.done || this.destroyed) return Promise.resolve(null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  private onData(data: Buffer): void {
    if (this.destroyed) return;
    // A plain view (no copy): Node gives each read its own memory.
    const chunk = new Uint8Array(data.buffer, data.byteOffset, data.length);
    this.options.onBytesReceived?.(chunk.length);
    const reader = this.readers.shift();
    if (reader !== undefined) {
      reader(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (!this.paused && this.bufferedBytes > this.maxBufferedBytes) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.chunks.length === 0) this.flushReaders();
  }

  private flushReaders(): void {
    for (const reader of this.readers.splice(0)) reader(null);
  }
}
