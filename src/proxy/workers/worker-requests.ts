import type { Clock } from '../../core/index.js';

/** How long a request (stats, runtime) waits for a worker's answer before it is given up (the worker is shown `unresponsive`). 1 s. */
export const REQUEST_TIMEOUT_MS = 1_000;

/**
 * Requests from the main thread to worker threads that expect an answer, by id: each resolves
 * with the answer, or with undefined after REQUEST_TIMEOUT_MS or when its worker dies, so a
 * stalled or dead worker never holds up `/api/proxy.json` or a scrape.
 */
export class WorkerRequests<W> {
  private readonly pending = new Map<number, { readonly worker: W; readonly resolve: (answer: unknown) => void }>();
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  /** Sends the request `send(id)` to `worker`; resolves with its answer or undefined. */
  ask<T>(worker: W, send: (id: number) => void): Promise<T | undefined> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        worker,
        resolve: (answer) => {
          this.clock.clearTimeout(timer);
          resolve(answer as T | undefined);
        },
      });
      send(id);
    });
  }

  /** The answer to request `id` arrived. */
  answer(id: number, value: unknown): void {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    waiter?.resolve(value);
  }

  /** `worker` died: its pending requests get no answer. */
  fail(worker: W): void {
    for (const [id, waiter] of this.pending) {
      if (waiter.worker !== worker) continue;
      this.pending.delete(id);
      waiter.resolve(undefined);
    }
  }
}
