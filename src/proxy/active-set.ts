/**
 * The connections a forwarder has open, with a promise for the moment none is left (used
 * to drain a removed frontend and to close cleanly).
 */
export class ActiveSet<T> implements Iterable<T> {
  private readonly items = new Set<T>();
  private waiters: Array<() => void> = [];

  get size(): number {
    return this.items.size;
  }

  add(item: T): void {
    this.items.add(item);
  }

  /** Removes `item`; false when it was not there. Wakes `whenEmpty()` callers on the last one. */
  delete(item: T): boolean {
    if (!this.items.delete(item)) return false;
    if (this.items.size === 0 && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
    return true;
  }

  /** Resolves once the set is empty (at once if it is). */
  whenEmpty(): Promise<void> {
    if (this.items.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}
