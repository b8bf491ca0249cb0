/**
 * A binary min-heap of timers ordered by due time, then by the order they were scheduled
 * (so timers due at the same time fire first-come, first-served, as Node's do). Push and pop
 * are O(log n); cancelled timers stay in the heap until they reach the top (lazy deletion),
 * and the heap is rebuilt without them when they outnumber the live ones.
 */

export interface HeapTimer {
  /** Due time, in clock ms. */
  at: number;
  /** Scheduling order: ties on `at` fire in increasing `seq`. */
  seq: number;
  cancelled: boolean;
  /** True while in a heap (managed by the heap). */
  queued: boolean;
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class TimerHeap<T extends HeapTimer> {
  private items: T[] = [];
  private cancelledCount = 0;

  /** Timers not cancelled. */
  get size(): number {
    return this.items.length - this.cancelledCount;
  }

  push(timer: T): void {
    timer.cancelled = false;
    timer.queued = true;
    const items = this.items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(timer, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = timer;
  }

  /** Marks a timer cancelled; it is skipped when it surfaces. Idempotent. */
  cancel(timer: T): void {
    if (timer.cancelled || !timer.queued) return;
    timer.cancelled = true;
    this.cancelledCount++;
    if (this.cancelledCount > 1024 && this.cancelledCount > this.items.length / 2) this.compact();
  }

  /** The earliest live timer, without removing it. */
  peek(): T | undefined {
    this.dropCancelledTop();
    return this.items[0];
  }

  /** Removes and returns the earliest live timer. */
  pop(): T | undefined {
    this.dropCancelledTop();
    return this.removeTop();
  }

  private dropCancelledTop(): void {
    for (;;) {
      const top = this.items[0];
      if (top === undefined || !top.cancelled) return;
      this.removeTop();
      this.cancelledCount--;
    }
  }

  private removeTop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top !== undefined) top.queued = false;
    if (top === undefined || last === undefined || items.length === 0) return top;
    // Sift the last item down from the root.
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(items[r] as T, items[l] as T) ? r : l;
      const c = items[child] as T;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Drops cancelled timers and re-heapifies (O(n)). */
  private compact(): void {
    const live: T[] = [];
    for (const t of this.items) {
      if (t.cancelled) t.queued = false;
      else live.push(t);
    }
    this.items = [];
    this.cancelledCount = 0;
    // Sorted input is a valid heap; sorting also keeps this simple and deterministic.
    live.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    this.items = live;
  }
}
