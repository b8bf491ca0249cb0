import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/index.js';
import { resetSocket } from './reset-socket.js';

/**
 * The one rule for a push-stream client that does not read (`/api/watch` and `/api/events`):
 * once a write is not taken whole, the client is dropped at once if more than
 * `maxBufferBytes` are queued for it in the process, or when its socket stays full for
 * `stallTimeoutMs`; a drain ends the wait. One per client.
 */
export class SlowReader {
  private stallTimer: TimerHandle | undefined;

  /** `drop(why)` removes the client (see {@link abortStream}). */
  constructor(
    private readonly clock: Clock,
    private readonly maxBufferBytes: number,
    private readonly stallTimeoutMs: number,
    private readonly drop: (why: string) => void,
  ) {}

  /** A write to `res` was not taken whole. */
  full(res: ServerResponse): void {
    if (res.writableLength > this.maxBufferBytes) {
      this.drop(`more than ${this.maxBufferBytes} bytes queued`);
      return;
    }
    this.stallTimer ??= this.clock.setTimeout(() => {
      this.stallTimer = undefined;
      this.drop(`its socket stayed full for ${this.stallTimeoutMs} ms`);
    }, this.stallTimeoutMs);
  }

  /** The socket drained, or the client is gone: no drop pending. */
  clear(): void {
    if (this.stallTimer === undefined) return;
    this.clock.clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}

/** Ends a dropped client's stream at once: its socket is reset (with what the kernel queued for it). */
export function abortStream(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null || socket === undefined) res.destroy();
  else resetSocket(socket);
}
