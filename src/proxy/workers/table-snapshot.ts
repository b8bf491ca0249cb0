import { deserialize, serialize } from 'node:v8';
import type { RoutingTable } from '../routing-table.js';

/**
 * A routing table serialized once, in shared memory, for every worker thread. Posting the
 * table object itself would serialize it once per worker on the main thread (about 3 ms per
 * worker at 1,000 services); this way the main thread serializes it once, every worker gets
 * the same bytes without a copy, and each deserializes its own copy in parallel.
 */
export type TableSnapshot = SharedArrayBuffer;

export function snapshotOf(table: RoutingTable): TableSnapshot {
  const bytes = serialize(table);
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  return shared;
}

/** The worker's copy of the table (plain data, as built: the builder's freezing is not carried over). */
export function tableOf(snapshot: TableSnapshot): RoutingTable {
  return deserialize(new Uint8Array(snapshot)) as RoutingTable;
}
