/**
 * Fixed-size read buffers for sockets opened with `onread`: one per connection, taken when it
 * opens and given back when both its sockets are closed, so connection churn allocates
 * nothing. A buffer a pending write still holds is never given back: the connection reads
 * into a `fresh()` one instead.
 */
export class ReadBuffers {
  private readonly spare: Buffer[] = [];

  constructor(
    /** Size of each buffer. */
    readonly bytes: number,
    /** Spare buffers kept at most; more are left to the garbage collector. */
    private readonly keep: number,
  ) {}

  /** A spare buffer, or a new one. */
  take(): Buffer {
    return this.spare.pop() ?? this.fresh();
  }

  /** A new buffer, never shared. */
  fresh(): Buffer {
    return Buffer.allocUnsafeSlow(this.bytes);
  }

  /** Returns a buffer nothing reads into or writes from any more. */
  give(buffer: Buffer): void {
    if (this.spare.length < this.keep) this.spare.push(buffer);
  }
}
