import { ServiceStatus, statusName, type ChangeEvent } from '../catalog/index.js';

/** What the agent knows besides the event: its own hostname, and why a local check says what it says. */
export interface ChangeLineContext {
  readonly hostname: string;
  /** The health check's reason for local service `id` (see HealthMonitor.reasonFor). */
  healthReason(id: string): string | undefined;
}

export interface ChangeLine {
  readonly level: 'info' | 'warn';
  readonly fields: Readonly<Record<string, string | number>>;
  readonly msg: string;
}

/**
 * The agent's one log line per service status change, with its cause:
 *
 *   Service status changed: web (id 5f1c0a9e2b77) on h1: ALIVE → UNHEALTHY: HttpGet http://10.0.0.5:8080/health failed: HTTP 503 from http://10.0.0.5:8080/health
 *
 * Fields: `service`, `id`, `hostname`, `previous` and `status` by name, `previousCode` and
 * `statusCode` as on the wire (Go's ints, for scripts), `cause` (new, update, host-left,
 * expired, vanished) and `reason` (the words after the last colon). Warn for a known service
 * going UNHEALTHY or expiring, info otherwise.
 */
export function changeLine(event: ChangeEvent, ctx: ChangeLineContext): ChangeLine {
  const svc = event.service;
  const cause = event.cause ?? 'update';
  const reason = reasonOf(event, ctx);
  const previous = cause === 'new' ? '(new)' : statusName(event.previousStatus);
  const status = statusName(svc.status);
  return {
    // A new local service starts UNHEALTHY until its first check passes (as in Go): not news.
    level: (svc.status === ServiceStatus.UNHEALTHY && cause !== 'new') || cause === 'expired' ? 'warn' : 'info',
    fields: {
      service: svc.name,
      id: svc.id,
      hostname: svc.hostname,
      previous: statusName(event.previousStatus),
      status,
      previousCode: event.previousStatus,
      statusCode: svc.status,
      cause,
      reason,
    },
    msg: `Service status changed: ${svc.name} (id ${svc.id}) on ${svc.hostname}: ${previous} → ${status}: ${reason}`,
  };
}

function reasonOf(event: ChangeEvent, ctx: ChangeLineContext): string {
  const svc = event.service;
  switch (event.cause) {
    case 'host-left':
      return `its host ${svc.hostname} left the cluster or was declared dead`;
    case 'expired':
      return `not refreshed within its lifespan (80 s; 10 min when DRAINING): ${svc.hostname} stopped announcing it`;
    case 'vanished':
      return 'discovery no longer reports it (container stopped, or removed from the static file)';
    case 'new':
    case 'update':
    case undefined:
      break;
  }
  if (svc.hostname !== ctx.hostname) return `as announced by ${svc.hostname}`;
  const found = event.cause === 'new' ? 'discovered; ' : '';
  switch (svc.status) {
    case ServiceStatus.DRAINING:
      return `${found}drained (through the API, or maintenance mode)`;
    case ServiceStatus.UNKNOWN:
      if (event.previousStatus === ServiceStatus.DRAINING) return 'undrained; its health check decides next';
      return `${found}${ctx.healthReason(svc.id) ?? 'no health check result yet'}`;
    case ServiceStatus.ALIVE:
    case ServiceStatus.UNHEALTHY:
      return `${found}${ctx.healthReason(svc.id) ?? 'no health check'}`;
    default:
      return `${found}tombstoned`;
  }
}
