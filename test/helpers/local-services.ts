import { Emitter, silentLogger } from '../../src/core/index.js';
import { ServiceStatus, type Service } from '../../src/catalog/index.js';
import { LocalServices, type BroadcastScheduler } from '../../src/replication/index.js';
import type { StateFixture } from './catalog.js';

/**
 * The owner of the local services on a state fixture, with discovery and health in one
 * function: `list()` gives this host's services, and each one's `status` is what its health
 * check says. Call `changed()` after `list()` changed (discovery's and health's event).
 */
export function localServicesOn(
  fixture: StateFixture,
  scheduler: BroadcastScheduler,
  list: () => readonly Service[],
  options: { refreshIntervalMs?: number } = {},
): { local: LocalServices; changed: () => void } {
  const discoveryChanged = new Emitter<void>();
  const healthChanged = new Emitter<{ readonly id: string }>();
  const local = new LocalServices({
    state: fixture.state,
    stamps: fixture.stamps,
    scheduler,
    clock: fixture.clock,
    logger: silentLogger(),
    discovery: { services: list, onDidChange: discoveryChanged.event },
    health: {
      statusOf: (id) => list().find((svc) => svc.id === id)?.status ?? ServiceStatus.UNKNOWN,
      onDidChangeStatus: healthChanged.event,
      track: () => undefined,
    },
    ...options,
  });
  return { local, changed: () => discoveryChanged.fire() };
}
