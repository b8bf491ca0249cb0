import { MAX_PORT, NS_PER_SECOND } from '../../core/index.js';
import { ServiceStatus, listenerName, normalizeProxyMode, unknownProxyModeMessage, type CheckSpec, type Port, type Service } from '../../catalog/index.js';
import type { ListenerSpec } from '../source.js';
import type { ContainerSummary, DockerPortSummary } from './docker-types.js';
import type { ServiceNamer } from './namer.js';

/** The check type of containers checked through Docker's own HEALTHCHECK status. */
export const DOCKER_HEALTH_CHECK_TYPE = 'DockerHealth';

/** Labels Sidecar reads (docs/labels.md). */
export const Labels = {
  proxyMode: 'ProxyMode',
  servicePortPrefix: 'ServicePort_',
  healthCheck: 'HealthCheck',
  healthCheckArgs: 'HealthCheckArgs',
  discover: 'SidecarDiscover',
  listener: 'SidecarListener',
} as const;

export interface MapperSettings {
  /** Node name: every service's `Hostname`. */
  readonly hostname: string;
  /** The `IP` of ports bound to all addresses. */
  readonly advertiseIp: string;
  readonly namer: ServiceNamer;
}

/** A container as discovery announces it. */
export interface MappedContainer {
  readonly service: Service;
  /** From the HealthCheck labels, or DockerHealth; null = the default check. */
  readonly check: CheckSpec | null;
  readonly listener: ListenerSpec | null;
  /** Label problems, one sentence each naming the container and the label. */
  readonly problems: readonly string[];
}

/**
 * One running container → its service, as the Go Sidecar's `service.ToService` plus the
 * label lookups of its Docker discovery; null when the container opts out
 * (`SidecarDiscover=false`, exact value). Pure: problems are returned, not logged.
 *
 * Changed on purpose: the IPv4 and IPv6 bindings Docker makes for one published port
 * (`0.0.0.0:32768` and `[::]:32768`) are one port, not two; ports are sorted (private
 * port, type, public port) so the record does not change with the Engine's map order; a
 * `ServicePort_<n>` outside 0-65535 counts as not an integer.
 *
 * @param dockerHealth true when the container has a Docker HEALTHCHECK.
 */
export function mapContainer(c: ContainerSummary, settings: MapperSettings, dockerHealth: boolean): MappedContainer | null {
  const labels = c.Labels ?? {};
  if (labels[Labels.discover] === 'false') return null;
  const id = c.Id.slice(0, 12);
  const problems: string[] = [];
  const who = `container ${containerName(c)} (${id})`;
  const ports = mapPorts(c.Ports ?? [], labels, settings.advertiseIp, (msg) => problems.push(`${who}: ${msg}`));
  const created = BigInt(Number.isSafeInteger(c.Created) ? c.Created : 0) * NS_PER_SECOND;
  const proxyMode = normalizeProxyMode(labels[Labels.proxyMode] ?? 'http');
  if (!proxyMode.known) problems.push(`${who}: label ${Labels.proxyMode}: ${unknownProxyModeMessage(proxyMode.mode)}`);
  const service: Service = {
    id,
    name: settings.namer.serviceName(c),
    image: c.Image,
    created,
    hostname: settings.hostname,
    ports,
    // Stamped with the time of each poll by the daemon.
    updated: created,
    proxyMode: proxyMode.mode,
    status: ServiceStatus.ALIVE,
  };
  const check = checkFor(labels, id, dockerHealth);
  const listener = listenerFor(service, labels[Labels.listener], (msg) => problems.push(`${who}: ${msg}`));
  return { service, check, listener, problems };
}

/** `/web-1` → `web-1`; the ID when the container has no name. */
export function containerName(c: Pick<ContainerSummary, 'Id' | 'Names'>): string {
  const first = c.Names?.[0];
  return first === undefined || first === '' ? c.Id.slice(0, 12) : first.replace(/^\//, '');
}

function mapPorts(
  list: readonly DockerPortSummary[],
  labels: Readonly<Record<string, string>>,
  advertiseIp: string,
  problem: (msg: string) => void,
): Port[] {
  const published = list.filter((p) => typeof p.PublicPort === 'number' && p.PublicPort !== 0);
  // An IPv6 wildcard binding next to an IPv4 binding of the same port is Docker binding both
  // address families for one `-p`: it adds nothing reachable, so it is left out.
  const hasIpv4 = new Set(published.filter((p) => !isIpv6(p.IP)).map((p) => `${p.PrivatePort}/${p.Type}`));
  const seen = new Set<string>();
  const ports: Port[] = [];
  const warned = new Set<number>();
  const sorted = [...published].sort(
    (a, b) => a.PrivatePort - b.PrivatePort || cmp(a.Type, b.Type) || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || cmp(a.IP ?? '', b.IP ?? ''),
  );
  for (const p of sorted) {
    if (p.IP === '::' && hasIpv4.has(`${p.PrivatePort}/${p.Type}`)) continue;
    const ip = p.IP === undefined || p.IP === '' || p.IP === '0.0.0.0' || p.IP === '::' ? advertiseIp : p.IP;
    const key = `${p.Type}/${ip}/${p.PublicPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ports.push({
      type: p.Type,
      port: p.PublicPort ?? 0,
      servicePort: servicePortFor(p.PrivatePort, labels, warned, problem),
      ip,
    });
  }
  return ports;
}

function servicePortFor(
  privatePort: number,
  labels: Readonly<Record<string, string>>,
  warned: Set<number>,
  problem: (msg: string) => void,
): number {
  const label = `${Labels.servicePortPrefix}${privatePort}`;
  const value = labels[label];
  if (value === undefined) return 0;
  const n = parseGoInt(value);
  if (n === null || n < 0 || n > MAX_PORT) {
    if (!warned.has(privatePort)) problem(`label ${label}=${JSON.stringify(value)} is not a port number (0-65535); ServicePort 0 (not proxied)`);
    warned.add(privatePort);
    return 0;
  }
  return n;
}

function checkFor(labels: Readonly<Record<string, string>>, id: string, dockerHealth: boolean): CheckSpec | null {
  const type = labels[Labels.healthCheck] ?? '';
  const args = labels[Labels.healthCheckArgs] ?? '';
  if (type !== '') return { type, args };
  if (dockerHealth) return { type: DOCKER_HEALTH_CHECK_TYPE, args: id };
  // As Go: HealthCheckArgs without HealthCheck gives the empty type, i.e. the default check.
  return args === '' ? null : { type: '', args };
}

function listenerFor(svc: Service, value: string | undefined, problem: (msg: string) => void): ListenerSpec | null {
  if (value === undefined) return null;
  const servicePort = parseGoInt(value);
  if (servicePort === null) {
    problem(`label ${Labels.listener}=${JSON.stringify(value)} is not a ServicePort number; no listener`);
    return null;
  }
  const port = (svc.ports ?? []).find((p) => p.servicePort === servicePort && p.type === 'tcp');
  if (port === undefined) {
    problem(`label ${Labels.listener}=${value} names no tcp port with that ServicePort; no listener`);
    return null;
  }
  const host = port.ip.includes(':') ? `[${port.ip}]` : port.ip;
  return { name: listenerName(svc), url: `http://${host}:${port.port}/sidecar/update` };
}

/** Go's strconv.Atoi for the values that matter: optional sign, decimal digits. */
function parseGoInt(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function isIpv6(ip: string | undefined): boolean {
  return ip !== undefined && ip.includes(':');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
