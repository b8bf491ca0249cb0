/**
 * Admission of the streams peers open to us: how many at once (in total and per IP address)
 * and how many bytes they may hold buffered together. memberlist serves every connection with
 * no limit, so 40 connections each declaring 20 MiB made it hold 800 MiB; here a stream is
 * refused before anything is read from it, and cut the moment it would pass the byte budget.
 */

/** Why a stream was refused; each names a counter in the membership stats' drops (a cut stream counts as `overBudget`). */
export type StreamLimitReason = 'streamsTotal' | 'streamsPerPeer';

export interface InboundStreamLimits {
  readonly maxStreams: number;
  readonly maxStreamsPerPeer: number;
  /** Bytes all admitted streams may hold together. */
  readonly maxBufferedBytes: number;
}

/** One admitted stream's share of the budget; `release()` returns it (idempotent). */
export interface StreamAdmission {
  /** Takes `bytes` more of the shared budget; false (and nothing taken) when it would pass it. */
  take(bytes: number): boolean;
  release(): void;
}

export class InboundStreamGate {
  private open = 0;
  private readonly perPeer = new Map<string, number>();
  private bufferedBytes = 0;

  constructor(private readonly limits: InboundStreamLimits) {}

  /** Streams admitted and not yet released. */
  get openStreams(): number {
    return this.open;
  }

  /** Bytes held by admitted streams. */
  get heldBytes(): number {
    return this.bufferedBytes;
  }

  /** Admits a stream from `host`, or says which limit refuses it. */
  admit(host: string): StreamAdmission | StreamLimitReason {
    if (this.open >= this.limits.maxStreams) return 'streamsTotal';
    const fromPeer = this.perPeer.get(host) ?? 0;
    if (fromPeer >= this.limits.maxStreamsPerPeer) return 'streamsPerPeer';
    this.open += 1;
    this.perPeer.set(host, fromPeer + 1);
    let held = 0;
    let released = false;
    return {
      take: (bytes) => {
        if (released || this.bufferedBytes + bytes > this.limits.maxBufferedBytes) return false;
        this.bufferedBytes += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.bufferedBytes -= held;
        this.open -= 1;
        const left = (this.perPeer.get(host) ?? 1) - 1;
        if (left <= 0) this.perPeer.delete(host);
        else this.perPeer.set(host, left);
      },
    };
  }
}
