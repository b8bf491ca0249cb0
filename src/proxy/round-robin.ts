import type { Endpoint } from './routing-table.js';

/**
 * Strict round robin over a route's endpoints (HAProxy's `balance roundrobin`, checklist 75).
 * Called once per connection (tcp) or request (http): `next()` allocates nothing.
 *
 * `update()` swaps the endpoint list when the routing table changes and resumes after the
 * endpoint picked last, by key order (route endpoints are sorted by key): an endpoint that
 * stays is not picked twice in a row because of the swap, and one that leaves hands its turn
 * to its successor.
 */
export class RoundRobin {
  #endpoints: readonly Endpoint[];
  /** Index of the next endpoint to try. */
  #pos: number;
  /** Key of the endpoint picked last, if any. */
  #lastKey: string | undefined;

  /**
   * @param startIndex where the rotation starts (default 0). Pass a random index so that
   *   proxies on many hosts do not all send their first connection to the same endpoint.
   */
  constructor(endpoints: readonly Endpoint[] = [], startIndex = 0) {
    this.#endpoints = endpoints;
    const n = endpoints.length;
    this.#pos = n === 0 ? 0 : ((Math.trunc(startIndex) % n) + n) % n;
  }

  /** The current endpoint list. */
  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  get size(): number {
    return this.#endpoints.length;
  }

  /**
   * The next endpoint in rotation, passing over those `skip` refuses (e.g. ones that just
   * refused a connection); undefined when the list is empty or every endpoint is skipped.
   * A skipped endpoint keeps its place: the rotation resumes after the one returned.
   */
  next(skip?: (e: Endpoint) => boolean): Endpoint | undefined {
    const list = this.#endpoints;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      let idx = this.#pos + i;
      if (idx >= n) idx -= n;
      const e = list[idx];
      if (e === undefined || (skip !== undefined && skip(e))) continue;
      this.#pos = idx + 1 === n ? 0 : idx + 1;
      this.#lastKey = e.key;
      return e;
    }
    return undefined;
  }

  /** Swaps the list, resuming after the last pick (see the class comment). */
  update(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
    const n = endpoints.length;
    if (n === 0) {
      this.#pos = 0;
      return;
    }
    const last = this.#lastKey;
    if (last === undefined) {
      this.#pos = this.#pos % n;
      return;
    }
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const e = endpoints[i];
      if (e !== undefined && e.key > last) {
        pos = i;
        break;
      }
    }
    this.#pos = pos;
  }
}
