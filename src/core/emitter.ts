import { toDisposable, type Disposable } from './disposable.js';

/** Subscribe to an event; dispose the handle to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/**
 * A typed, synchronous event source. Listeners run in subscription order on the caller's
 * stack; they must not block (hand slow work to a queue of their own).
 */
export class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];

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
    for (const listener of this.listeners) listener(value);
  }

  dispose(): void {
    this.listeners = [];
  }
}
