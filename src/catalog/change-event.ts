import type { Timestamp } from '../core/index.js';
import type { Service } from './service.js';
import type { StatusCode } from './status.js';

/**
 * A status change of one record: first sighting (PreviousStatus UNKNOWN), a newer record
 * with another status, an own service tombstoned, a lifespan expiry or a node leaving.
 * Pure timestamp refreshes are not change events.
 */
export interface ChangeEvent {
  readonly service: Service;
  readonly previousStatus: StatusCode;
  /** The state's `LastChanged` right after the change (the record's `Updated`). */
  readonly time: Timestamp;
}
