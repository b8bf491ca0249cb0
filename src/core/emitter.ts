import { toDisposable, type Disposable } from './disposable.js';

/** Subscribe to an event; dispose the handle to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/** What happens to an exception thrown by a listener, with the value it was given (see {@link rethrowAsync}). */
export type ListenerErrorHandler<T = unknown> = (err: unknown, value: T) => void;

/**
 * The default for a listener's exception: thrown again on a fresh stack (a microtask), so it
 * reaches `uncaughtException` like any other bug and is never silent, while the producer that
 * fired the event and the listeners after the bad one run to completion. core has no logger
 * to report it through, and swallowing it would hide a bug. A producer that can say more (the
 * peer a packet came from) and should survive its listeners' bugs passes a handler that logs.
 */
export function rethrowAsync(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/**
 * Hands a listener's exception back to the producer that fired the event, once every listener
 * has run: for producers whose callers already catch and log their consumers' bugs (the
 * services state, whose merges the gossip delegate guards).
 */
export function rethrowToProducer(err: unknown): void {
  throw err;
}

/**
 * A typed, synchronous event source. Listeners run in subscription order on the caller's
 * stack; they must not block (hand slow work to a queue of their own). A listener that throws
 * does not stop the listeners after it: every listener runs, then each exception goes to
 * `onListenerError` (by default {@link rethrowAsync}, so the producer is not broken either).
 */
export class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];

  constructor(private readonly onListenerError: ListenerErrorHandler<T> = rethrowAsync) {}

  readonly event: Event<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return toDisposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  fire(value: T): void {
    let errors: unknown[] | undefined;
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (err) {
        (errors ??= []).push(err);
      }
    }
    if (errors !== undefined) for (const err of errors) this.onListenerError(err, value);
  }

  dispose(): void {
    this.listeners = [];
  }
}
