/**
 * The parts of Docker Engine API (v1.41+) documents that discovery reads. Field names are the
 * API's own; everything is optional or nullable where the Engine may leave it out, because
 * discovery must survive whatever an Engine sends.
 */

/** One entry of `Ports` in `GET /containers/json`. */
export interface DockerPortSummary {
  /** Host address of the binding (`0.0.0.0`, `::`, `127.0.0.1`…); absent when not published. */
  readonly IP?: string;
  readonly PrivatePort: number;
  /** Host port; absent or 0 when the port is only exposed. */
  readonly PublicPort?: number;
  /** `tcp`, `udp` or `sctp`. */
  readonly Type: string;
}

/** One container of `GET /containers/json` (running only). */
export interface ContainerSummary {
  readonly Id: string;
  /** Names with a leading `/`; the first is the container's own name. */
  readonly Names?: readonly string[] | null;
  readonly Image: string;
  /** Creation time in seconds since the epoch. */
  readonly Created: number;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly Ports?: readonly DockerPortSummary[] | null;
  /** `running`, `paused`… */
  readonly State?: string;
  /** `Up 3 seconds (healthy)`: carries the health status of containers with a HEALTHCHECK. */
  readonly Status?: string;
}

/** One binding in `NetworkSettings.Ports` of an inspect document. */
export interface DockerPortBinding {
  readonly HostIp?: string;
  readonly HostPort?: string;
}

/** `GET /containers/{id}/json`, the fields discovery reads. */
export interface ContainerDetails {
  readonly Id: string;
  /** `/name`. */
  readonly Name?: string;
  /** RFC 3339 with nanoseconds. */
  readonly Created?: string;
  readonly Config?: {
    readonly Image?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
  } | null;
  readonly State?: {
    readonly Running?: boolean;
    /** Present only for containers with a HEALTHCHECK. */
    readonly Health?: { readonly Status?: string } | null | undefined;
  } | null;
  readonly NetworkSettings?: {
    /** `{"80/tcp": [{HostIp, HostPort}…] | null}`. */
    readonly Ports?: Readonly<Record<string, readonly DockerPortBinding[] | null>> | null;
  } | null;
}

/** One message of `GET /events`. */
export interface DockerEvent {
  readonly Type?: string;
  /** `start`, `die`, `health_status: healthy`… */
  readonly Action?: string;
  /** The pre-1.22 name of `Action`, still sent. */
  readonly status?: string;
  readonly id?: string;
  readonly Actor?: {
    readonly ID?: string;
    readonly Attributes?: Readonly<Record<string, string>> | null;
  } | null;
}

/** The health status Docker reports for a container with a HEALTHCHECK. */
export type DockerHealthStatus = 'healthy' | 'unhealthy' | 'starting';

/** `healthy` / `unhealthy` / `starting`, or undefined for anything else (`none`, absent). */
export function toHealthStatus(value: string | undefined | null): DockerHealthStatus | undefined {
  return value === 'healthy' || value === 'unhealthy' || value === 'starting' ? value : undefined;
}

/** The health status in a list entry's `Status` text (`Up 2 s (health: starting)`), if any. */
export function healthFromStatusText(status: string | undefined): DockerHealthStatus | undefined {
  if (status === undefined) return undefined;
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Whole seconds since the epoch of an RFC 3339 time (the precision of the list's `Created`), or 0. */
export function rfc3339ToSeconds(text: string | undefined): number {
  const m = text === undefined ? null : RFC3339.exec(text);
  if (m === null) return 0;
  const ms = Date.parse(`${m[1] ?? ''}${m[2] ?? ''}`);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

/**
 * The list entry an inspect document stands for, so that a container found through a
 * `start` event maps to exactly the service the next poll finds: same name, image, whole
 * seconds of `Created`, labels and published bindings.
 */
export function summaryFromDetails(d: ContainerDetails): ContainerSummary {
  const ports: DockerPortSummary[] = [];
  for (const [key, bindings] of Object.entries(d.NetworkSettings?.Ports ?? {})) {
    const [portText, type = 'tcp'] = key.split('/');
    const privatePort = Number(portText);
    if (!Number.isInteger(privatePort)) continue;
    if (bindings === null || bindings.length === 0) {
      ports.push({ PrivatePort: privatePort, Type: type });
      continue;
    }
    for (const b of bindings) {
      const publicPort = Number(b.HostPort ?? '');
      ports.push({
        IP: b.HostIp ?? '',
        PrivatePort: privatePort,
        ...(Number.isInteger(publicPort) && publicPort > 0 ? { PublicPort: publicPort } : {}),
        Type: type,
      });
    }
  }
  const health = toHealthStatus(d.State?.Health?.Status);
  return {
    Id: d.Id,
    Names: d.Name === undefined ? [] : [d.Name],
    Image: d.Config?.Image ?? '',
    Created: rfc3339ToSeconds(d.Created),
    Labels: d.Config?.Labels ?? null,
    Ports: ports,
    State: d.State?.Running === true ? 'running' : 'exited',
    ...(health === undefined ? {} : { Status: health === 'starting' ? 'Up (health: starting)' : `Up (${health})` }),
  };
}
