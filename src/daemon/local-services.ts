import type { TimestampSource } from '../core/index.js';
import type { Service } from '../catalog/index.js';
import type { MultiDiscovery } from '../discovery/index.js';
import type { HealthMonitor } from '../health/index.js';

/**
 * This host's services as the state should see them right now: what discovery reports,
 * stamped `Updated` = now (strictly increasing stamps) and given the status health says.
 */
export function localServicesFn(discovery: MultiDiscovery, health: HealthMonitor, stamps: TimestampSource): () => Service[] {
  return () => {
    // mark() also leaves out services with an empty ID (logged by the health watch).
    return health.mark(discovery.services(), () => stamps.now());
  };
}

/** The IDs of this host's services (as {@link localServicesFn} lists them, without copying any). */
export function localServiceIdsFn(discovery: MultiDiscovery): () => string[] {
  return () => discovery.services().flatMap((svc) => (svc.id === '' ? [] : [svc.id]));
}
