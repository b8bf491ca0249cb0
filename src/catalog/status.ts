/** Service status codes exactly as on the Go Sidecar's wire (ints 0–4). */
export const ServiceStatus = {
  ALIVE: 0,
  TOMBSTONE: 1,
  UNHEALTHY: 2,
  UNKNOWN: 3,
  DRAINING: 4,
} as const;

/** A status code as found on the wire; any other integer is treated as a tombstone. */
export type StatusCode = number;

/** `Alive`, `Tombstone`, `Unhealthy`, `Unknown`, `Draining`; unknown codes print `Tombstone`. */
export function statusString(status: StatusCode): string {
  switch (status) {
    case ServiceStatus.ALIVE:
      return 'Alive';
    case ServiceStatus.UNHEALTHY:
      return 'Unhealthy';
    case ServiceStatus.UNKNOWN:
      return 'Unknown';
    case ServiceStatus.DRAINING:
      return 'Draining';
    default:
      return 'Tombstone';
  }
}

/**
 * The status's name as operators read it in logs and the docs: `ALIVE`, `TOMBSTONE`,
 * `UNHEALTHY`, `UNKNOWN`, `DRAINING`; any other code (a tombstone on the wire) prints
 * `TOMBSTONE(<code>)`.
 */
export function statusName(status: StatusCode): string {
  switch (status) {
    case ServiceStatus.ALIVE:
      return 'ALIVE';
    case ServiceStatus.TOMBSTONE:
      return 'TOMBSTONE';
    case ServiceStatus.UNHEALTHY:
      return 'UNHEALTHY';
    case ServiceStatus.UNKNOWN:
      return 'UNKNOWN';
    case ServiceStatus.DRAINING:
      return 'DRAINING';
    default:
      return `TOMBSTONE(${status})`;
  }
}
