/**
 * Routing around hosts the failure detector suspects: their instances leave the load
 * balancer's rotation as soon as a peer suspects the host (about 1–3 s after a crash or a
 * cut), instead of after the suspicion timeout declares it dead (5 s more at the Go Sidecar's
 * settings). Never the last ones: a service whose every ALIVE instance is on suspect hosts
 * keeps them all, so a false suspicion cannot take a service down.
 */
import { ServiceStatus, type Service } from '../catalog/index.js';

export function withoutSuspectHosts(records: readonly Service[], suspect: ReadonlySet<string>): Service[] {
  if (suspect.size === 0) return [...records];
  const healthyElsewhere = new Set<string>();
  for (const r of records) if (r.status === ServiceStatus.ALIVE && !suspect.has(r.hostname)) healthyElsewhere.add(r.name);
  return records.map((r) =>
    r.status === ServiceStatus.ALIVE && suspect.has(r.hostname) && healthyElsewhere.has(r.name) ? { ...r, status: ServiceStatus.UNHEALTHY } : r,
  );
}
