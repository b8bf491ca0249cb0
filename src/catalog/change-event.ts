import type { Timestamp } from '../core/index.js';
import type { Service } from './service.js';
import type { StatusCode } from './status.js';

/**
 * Why a record changed, as the state saw it: `new` (first sighting), `update` (a newer record
 * with another status: from this host's discovery and health, or from a peer), `host-left`
 * (its host left or was declared dead), `expired` (not refreshed within its lifespan),
 * `vanished` (this host's discovery no longer reports it).
 */
export type ChangeCause = 'new' | 'update' | 'host-left' | 'expired' | 'vanished';

/**
 * A status change of one record: first sighting (PreviousStatus UNKNOWN), a newer record
 * with another status, an own service tombstoned, a lifespan expiry or a node leaving.
 * Pure timestamp refreshes are not change events.
 */
export interface ChangeEvent {
  readonly service: Service;
  readonly previousStatus: StatusCode;
  /** What made it: see {@link ChangeCause}. Absent in events built elsewhere (tests). */
  readonly cause?: ChangeCause;
  /** The state's `LastChanged` right after the change (the record's `Updated`). */
  readonly time: Timestamp;
}
