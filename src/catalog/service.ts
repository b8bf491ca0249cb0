import type { Timestamp } from '../core/index.js';
import { TOMBSTONE_LIFESPAN_NS, STALE_FUDGE_NS } from './lifespans.js';
import { ServiceStatus, type StatusCode } from './status.js';

/** One port of a service (Go field order: Type, Port, ServicePort, IP). */
export interface Port {
  /** `tcp` or `udp`. */
  readonly type: string;
  /** The port the instance is really reachable on (Docker host port, static port). */
  readonly port: number;
  /** The well-known port the proxy listens on for this service; 0 when not mapped. */
  readonly servicePort: number;
  /** The address to reach `port` on. */
  readonly ip: string;
}

/**
 * One service instance on one host, as the Go Sidecar models it. Records are immutable:
 * every change makes a new object, so snapshots handed to readers never move.
 */
export interface Service {
  /** Unique on its host: 12 chars of the container ID, or 12 random hex chars (static). */
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly created: Timestamp;
  /** The host that owns the record: the node name of its Sidecar. */
  readonly hostname: string;
  /** `null` encodes as `null`, an empty array as `[]` (both occur in the Go Sidecar). */
  readonly ports: readonly Port[] | null;
  /** Origin timestamp; the latest wins everywhere. */
  readonly updated: Timestamp;
  /** `http`, `tcp` or `ws`. */
  readonly proxyMode: string;
  readonly status: StatusCode;
}

export function isTombstone(svc: Service): boolean {
  return svc.status === ServiceStatus.TOMBSTONE;
}

export function isAlive(svc: Service): boolean {
  return svc.status === ServiceStatus.ALIVE;
}

export function isDraining(svc: Service): boolean {
  return svc.status === ServiceStatus.DRAINING;
}

/**
 * The sticky-DRAINING rule (the Go Sidecar's, and every peer's): a stored DRAINING record is
 * not made ALIVE by a newer ALIVE one, because health keeps passing while an operator
 * drains. Any other status (UNKNOWN, UNHEALTHY, TOMBSTONE) does replace it, which is how an
 * undrain travels. The one place this rule is written.
 */
export function keepsDraining(stored: Pick<Service, 'status'>, incoming: Pick<Service, 'status'>): boolean {
  return stored.status === ServiceStatus.DRAINING && incoming.status === ServiceStatus.ALIVE;
}

/** `Service(<name>-<id>)`: the name of a listener discovered from a service. */
export function listenerName(svc: Pick<Service, 'name' | 'id'>): string {
  return `Service(${svc.name}-${svc.id})`;
}

/** The part of the image after the first `:`, else the whole image. */
export function serviceVersion(svc: Pick<Service, 'image'>): string {
  const parts = svc.image.split(':');
  return parts.length > 1 ? (parts[1] ?? '') : svc.image;
}

/** The `Port` whose ServicePort and type match, or -1. */
export function portForServicePort(svc: Pick<Service, 'ports'>, servicePort: number, type: string): number {
  for (const p of svc.ports ?? []) if (p.servicePort === servicePort && p.type === type) return p.port;
  return -1;
}

/** True when `svc` is strictly newer than `other`. */
export function invalidates(svc: Service, other: Service): boolean {
  return svc.updated > other.updated;
}

/** Older than now − 3 h − 1 min: refused on receipt. */
export function isStale(svc: Service, now: Timestamp): boolean {
  return svc.updated < staleBefore(now);
}

/** The `Updated` below which a record is stale at `now` (see {@link isStale}). */
export function staleBefore(now: Timestamp): Timestamp {
  return now - TOMBSTONE_LIFESPAN_NS - STALE_FUDGE_NS;
}
