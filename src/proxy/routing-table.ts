import { ServiceStatus, isAlive, type Port, type Service } from '../catalog/index.js';
import { MAX_PORT, type Timestamp } from '../core/index.js';

/**
 * The routing table of the in-process load balancer: which service answers on which
 * ServicePort, and at which endpoints. Built from a catalog snapshot whenever the catalog
 * changes (never per connection or request); the result is deeply frozen, so frontends can
 * hold on to it while the next one is built.
 *
 * Go Sidecar rules matched (reference/sidecar-behaviour.md §5.2, checklist 70–74, 83, 109):
 * - only ALIVE records with at least one port are routed;
 * - one route per (service name, `tcp` ServicePort ≠ 0); UDP is never proxied;
 * - instances of one name whose sorted ServicePort list differs from the defining
 *   instance's are left out (and, here, reported);
 * - `ws` and `http` are HTTP modes, `tcp` is TCP.
 * Deliberate changes (all made deterministic, none silent):
 * - the defining instance is the oldest ALIVE record (Go: whichever map order gave first),
 *   and lists must be equal (Go accepted a longer list with the same prefix, and panicked on
 *   a shorter one);
 * - two names on one ServicePort: the name whose oldest ALIVE record is oldest keeps it and
 *   the others are reported in `collisions` (Go's HAProxy output rendered both frontends);
 * - the mode comes from the owner's newest ALIVE routed record (Go: whichever record came last in map
 *   order, tombstones included); `''` or an unknown mode means `http`; `ws` stays `ws`.
 */

/** How a frontend speaks to clients and upstreams. */
export type ProxyMode = 'tcp' | 'http' | 'ws';

/** One upstream instance of a route. */
export interface Endpoint {
  /** `<hostname>-<id>`: the HAProxy server name; unique in a table, routes sort by it. */
  readonly key: string;
  readonly hostname: string;
  readonly serviceId: string;
  /** The port's `IP`, or the hostname when the record gives no IP (as Go's template did). */
  readonly ip: string;
  /** The port the instance really listens on. */
  readonly port: number;
  /** The record's `Updated`. Not part of route equality (it moves on every refresh). */
  readonly since: Timestamp;
}

/** One route (served by one frontend): a ServicePort, the service name that owns it, and where it goes. */
export interface Route {
  readonly servicePort: number;
  readonly serviceName: string;
  readonly mode: ProxyMode;
  /** Sorted by `key`: a stable round-robin order on every host. */
  readonly endpoints: readonly Endpoint[];
}

/** A ServicePort claimed by more than one service name. */
export interface PortCollision {
  readonly servicePort: number;
  /** The name that got the port: its oldest ALIVE record is the oldest. */
  readonly owner: string;
  /** The names refused on this port, oldest claim first. */
  readonly rejected: readonly string[];
}

/** An ALIVE instance that is not routed, and why. */
export interface ExcludedInstance {
  readonly key: string;
  readonly serviceName: string;
  readonly reason: string;
}

/**
 * Plain, deeply frozen data (no Map, no closure, no class instance): it can be posted to
 * another thread (`structuredClone` keeps it whole), as a multi-core data plane needs.
 */
export interface RoutingTable {
  /** By ServicePort, ascending; one per ServicePort. */
  readonly routes: readonly Route[];
  /** By ServicePort, ascending. */
  readonly collisions: readonly PortCollision[];
  /** By key. */
  readonly excluded: readonly ExcludedInstance[];
}

/**
 * `tcp`, `http`, `ws` in any case; `''` means `http` (Docker and K8s discovery default to it);
 * any other value (`smtp`) `tcp`: a byte pipe carries any TCP protocol, HTTP parsing does not.
 */
export function toProxyMode(mode: string): ProxyMode {
  const lower = mode.toLowerCase();
  return lower === 'tcp' || lower === 'ws' || lower === 'http' ? lower : mode === '' ? 'http' : 'tcp';
}

/** An empty, frozen table (no frontends). */
export const EMPTY_ROUTING_TABLE: RoutingTable = Object.freeze({
  routes: Object.freeze([]),
  collisions: Object.freeze([]),
  excluded: Object.freeze([]),
});

interface Instance {
  readonly key: string;
  readonly svc: Service;
  /** Every ServicePort of the record (any type, 0 too), sorted: Go's comparison list. */
  readonly shape: string;
}

/** Builds the table from every record of the state (all hosts, all statuses). Pure. */
export function buildRoutingTable(services: Iterable<Service>): RoutingTable {
  // ALIVE records with ports, grouped by name; a repeated (hostname, id) keeps its newest.
  const byKey = new Map<string, Service>();
  for (const svc of services) {
    if (!isAlive(svc) || svc.ports === null || svc.ports.length === 0) continue;
    const key = `${svc.hostname}-${svc.id}`;
    const seen = byKey.get(key);
    if (seen === undefined || svc.updated > seen.updated) byKey.set(key, svc);
  }
  const byName = new Map<string, Instance[]>();
  for (const [key, svc] of byKey) {
    const list = byName.get(svc.name);
    const inst: Instance = { key, svc, shape: portShape(svc.ports ?? []) };
    if (list === undefined) byName.set(svc.name, [inst]);
    else list.push(inst);
  }

  const excluded: ExcludedInstance[] = [];
  // Per name: its routed instances (oldest first) and the age of its oldest record.
  const names: { name: string; oldest: Timestamp; instances: Instance[] }[] = [];
  for (const [name, list] of byName) {
    list.sort(oldestFirst);
    const first = list[0];
    if (first === undefined) continue;
    const kept: Instance[] = [];
    for (const inst of list) {
      if (inst.shape === first.shape) kept.push(inst);
      else
        excluded.push(
          Object.freeze({
            key: inst.key,
            serviceName: name,
            reason: `non-matching ports: [${inst.shape}] vs [${first.shape}] of ${first.key}`,
          }),
        );
    }
    names.push({ name, oldest: first.svc.updated, instances: kept });
  }
  // The oldest claim first; ties broken by name so every host decides alike.
  names.sort((a, b) => (a.oldest !== b.oldest ? (a.oldest < b.oldest ? -1 : 1) : compareStrings(a.name, b.name)));

  const routes = new Map<number, Route>();
  const rejectedByPort = new Map<number, string[]>();
  for (const { name, instances } of names) {
    const newest = instances[instances.length - 1];
    if (newest === undefined) continue;
    const mode = toProxyMode(newest.svc.proxyMode);
    for (const servicePort of routedPorts(newest.svc)) {
      const owner = routes.get(servicePort);
      if (owner !== undefined) {
        const rejected = rejectedByPort.get(servicePort);
        if (rejected === undefined) rejectedByPort.set(servicePort, [name]);
        else rejected.push(name);
        continue;
      }
      const endpoints: Endpoint[] = [];
      for (const { key, svc } of instances) {
        const port = tcpPort(svc, servicePort);
        if (port === undefined) continue; // cannot happen: equal shapes; kept for safety
        endpoints.push(
          Object.freeze({
            key,
            hostname: svc.hostname,
            serviceId: svc.id,
            ip: port.ip !== '' ? port.ip : svc.hostname,
            port: port.port,
            since: svc.updated,
          }),
        );
      }
      endpoints.sort((a, b) => compareStrings(a.key, b.key));
      routes.set(servicePort, Object.freeze({ servicePort, serviceName: name, mode, endpoints: Object.freeze(endpoints) }));
    }
  }

  holdEmptyRoutes(services, routes);
  const sortedRoutes = [...routes.values()].sort((a, b) => a.servicePort - b.servicePort);
  const collisions: PortCollision[] = [...rejectedByPort]
    .sort((a, b) => a[0] - b[0])
    .map(([servicePort, rejected]) =>
      Object.freeze({ servicePort, owner: routes.get(servicePort)?.serviceName ?? '', rejected: Object.freeze(rejected) }),
    );
  excluded.sort((a, b) => compareStrings(a.key, b.key));
  return Object.freeze({
    routes: Object.freeze(sortedRoutes),
    collisions: Object.freeze(collisions),
    excluded: Object.freeze(excluded),
  });
}

/**
 * A service whose instances all exist but none is ALIVE (UNHEALTHY, UNKNOWN, DRAINING) keeps
 * its frontend with no endpoints: HTTP clients get a 503 naming the service and TCP clients
 * a prompt close, instead of a refused connection, and the port is not torn down and bound
 * again when the service recovers. Only ports no ALIVE service owns are held; the oldest
 * record's name holds a port.
 */
function holdEmptyRoutes(services: Iterable<Service>, routes: Map<number, Route>): void {
  const waiting: Service[] = [];
  for (const svc of services) {
    const waitingStatus = svc.status === ServiceStatus.UNHEALTHY || svc.status === ServiceStatus.UNKNOWN || svc.status === ServiceStatus.DRAINING;
    if (!waitingStatus || svc.ports === null || svc.ports.length === 0) continue;
    waiting.push(svc);
  }
  waiting.sort((a, b) => (a.updated !== b.updated ? (a.updated < b.updated ? -1 : 1) : compareStrings(a.name, b.name)));
  for (const svc of waiting) {
    for (const servicePort of routedPorts(svc)) {
      if (routes.has(servicePort)) continue;
      routes.set(servicePort, Object.freeze({ servicePort, serviceName: svc.name, mode: toProxyMode(svc.proxyMode), endpoints: Object.freeze([]) }));
    }
  }
}

function oldestFirst(a: Instance, b: Instance): number {
  if (a.svc.updated !== b.svc.updated) return a.svc.updated < b.svc.updated ? -1 : 1;
  return compareStrings(a.key, b.key);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted ServicePorts of every port (any type, 0 included), as Go compared them. */
function portShape(ports: readonly Port[]): string {
  return ports
    .map((p) => p.servicePort)
    .sort((a, b) => a - b)
    .join(',');
}

/**
 * The distinct `tcp` ServicePorts ≠ 0 of a record. Values no socket can bind (negative, above
 * 65535, fractional: bad input from a peer) are skipped instead of failing a frontend later.
 */
function routedPorts(svc: Service): Set<number> {
  const out = new Set<number>();
  for (const p of svc.ports ?? []) {
    const sp = p.servicePort;
    if (p.type === 'tcp' && Number.isInteger(sp) && sp > 0 && sp <= MAX_PORT) out.add(sp);
  }
  return out;
}

function tcpPort(svc: Service, servicePort: number): Port | undefined {
  for (const p of svc.ports ?? []) if (p.type === 'tcp' && p.servicePort === servicePort) return p;
  return undefined;
}
