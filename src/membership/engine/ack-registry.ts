/**
 * Pending probes by sequence number (memberlist ackHandlers): an ack calls the handler once and
 * removes it; nacks are counted without removing it; a handler not acked by its deadline is
 * dropped (its owner runs its own timeout logic).
 */
import type { Clock, TimerHandle } from '../../core/index.js';

export interface AckHandler {
  onAck(payload: Uint8Array, receivedAtMs: number): void;
  onNack?(): void;
}

interface Entry {
  readonly handler: AckHandler;
  readonly timer: TimerHandle;
}

export class AckRegistry {
  private readonly entries = new Map<number, Entry>();
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  /** A fresh sequence number (memberlist nextSeqNo; wraps at 2^32). */
  nextSeqNo(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  /** Waits up to `timeoutMs` for an ack to `seqNo`. */
  expect(seqNo: number, handler: AckHandler, timeoutMs: number): void {
    this.cancel(seqNo);
    const timer = this.clock.setTimeout(() => this.entries.delete(seqNo), timeoutMs);
    this.entries.set(seqNo, { handler, timer });
  }

  /** Returns false when nobody waits for this ack (late or unsolicited). */
  ack(seqNo: number, payload: Uint8Array, receivedAtMs: number): boolean {
    const entry = this.entries.get(seqNo);
    if (entry === undefined) return false;
    this.cancel(seqNo);
    entry.handler.onAck(payload, receivedAtMs);
    return true;
  }

  nack(seqNo: number): boolean {
    const entry = this.entries.get(seqNo);
    if (entry === undefined) return false;
    entry.handler.onNack?.();
    return true;
  }

  cancel(seqNo: number): void {
    const entry = this.entries.get(seqNo);
    if (entry === undefined) return;
    this.clock.clearTimeout(entry.timer);
    this.entries.delete(seqNo);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    for (const seqNo of [...this.entries.keys()]) this.cancel(seqNo);
  }
}
