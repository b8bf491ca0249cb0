import { EPOCH, parseTimestamp, type Timestamp } from '../../core/index.js';
import { ServiceStatus, type Port, type Service, type StatusCode } from '../../catalog/index.js';
import type { KubeNode, KubeService, Pod } from './kube-objects.js';

/** Pod and Service labels Sidecar reads (as the Go Sidecar). */
export const KubeLabels = {
  serviceName: 'ServiceName',
  proxyMode: 'ProxyMode',
  discover: 'SidecarDiscover',
} as const;

/**
 * Asked of the API server so only labelled pods of this node travel: pods with a
 * ServiceName, minus those labelled SidecarDiscover=false (checked here again as well).
 */
export const POD_LABEL_SELECTOR = `${KubeLabels.serviceName},${KubeLabels.discover}!=false`;
export const SERVICE_LABEL_SELECTOR = KubeLabels.serviceName;

/** A pod as discovery announces it, with the status Kubernetes gives it. */
export interface MappedPod {
  readonly service: Service;
  /** ALIVE when Ready, UNHEALTHY when not, DRAINING once it is being deleted. */
  readonly status: StatusCode;
}

/**
 * The Services of the watched namespaces, indexed by `namespace` + ServiceName label.
 * The Go Sidecar keyed them by the label alone across all namespaces, so the last one listed
 * won; here a pod gets the Service of its own namespace, and of two in one namespace with the
 * same label the older (then the first by name) wins, whatever the list order.
 */
export function indexServices(services: Iterable<KubeService>): Map<string, KubeService> {
  const index = new Map<string, KubeService>();
  for (const svc of services) {
    const label = svc.metadata?.labels?.[KubeLabels.serviceName];
    if (label === undefined || label === '') continue;
    const key = serviceKey(svc.metadata?.namespace ?? '', label);
    const held = index.get(key);
    if (held === undefined || older(svc, held)) index.set(key, svc);
  }
  return index;
}

export function serviceKey(namespace: string, serviceName: string): string {
  return `${namespace}\u0000${serviceName}`;
}

/** The node's InternalIP (Go: the address of type InternalIP), or undefined. */
export function internalIp(node: KubeNode): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP' && typeof a.address === 'string' && a.address !== '')?.address;
}

/**
 * One pod → its service (the Go Sidecar's mapping): ID = pod UID, Name = ServiceName label,
 * Image = first container's image, Created = creationTimestamp, Hostname = this agent,
 * ProxyMode = `tcp`/`ws` from the ProxyMode label else `http`, and one port per port of the
 * pod's Service that has a nodePort: `{tcp, nodePort, ServicePort: port, IP: node InternalIP}`.
 * Null when the pod is not announced: no ServiceName, SidecarDiscover=false, on another
 * node, no UID, or finished (phase Succeeded/Failed: nothing runs in it any more).
 *
 * Beyond Go, which announced every pod ALIVE: the status comes from readiness (see
 * {@link podStatus}).
 */
export function mapPod(pod: Pod, services: ReadonlyMap<string, KubeService>, nodeName: string, nodeIp: string, hostname: string): MappedPod | null {
  const meta = pod.metadata;
  const labels = meta?.labels ?? {};
  const name = labels[KubeLabels.serviceName];
  if (name === undefined || name === '' || labels[KubeLabels.discover] === 'false') return null;
  if (pod.spec?.nodeName !== nodeName) return null;
  const uid = meta?.uid;
  if (uid === undefined || uid === '') return null;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return null;
  const created = timestampOf(meta?.creationTimestamp);
  const proxyMode = labels[KubeLabels.proxyMode];
  const kubeService = services.get(serviceKey(meta?.namespace ?? '', name));
  const service: Service = {
    id: uid,
    name,
    image: pod.spec?.containers?.[0]?.image ?? '',
    created,
    hostname,
    ports: portsOf(kubeService, nodeIp),
    // Stamped by the daemon.
    updated: created,
    proxyMode: proxyMode === 'tcp' || proxyMode === 'ws' ? proxyMode : 'http',
    status: ServiceStatus.ALIVE,
  };
  return { service, status: podStatus(pod) };
}

/** Readiness is health: being deleted → DRAINING, Ready → ALIVE, else UNHEALTHY. */
export function podStatus(pod: Pod): StatusCode {
  if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return ServiceStatus.DRAINING;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? ServiceStatus.ALIVE : ServiceStatus.UNHEALTHY;
}

/** Every port with a nodePort ≥ 1, in the Service's order (targetPort is not read, as in Go). */
function portsOf(svc: KubeService | undefined, nodeIp: string): Port[] {
  const ports: Port[] = [];
  for (const p of svc?.spec?.ports ?? []) {
    if (typeof p.nodePort !== 'number' || p.nodePort < 1 || typeof p.port !== 'number') continue;
    ports.push({ type: 'tcp', port: p.nodePort, servicePort: p.port, ip: nodeIp });
  }
  return ports;
}

function timestampOf(text: string | undefined): Timestamp {
  if (text === undefined) return EPOCH;
  try {
    return parseTimestamp(text);
  } catch {
    return EPOCH;
  }
}

function older(a: KubeService, b: KubeService): boolean {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta !== '' && (tb === '' || ta < tb);
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '');
}
