import { timestampToMs } from '../core/index.js';
import { ServiceStatus, statusString, type Service, type StateView, type StatusCode } from '../catalog/index.js';
import type { CheckDescription } from '../health/index.js';
import type { ApiMemberDetail } from './members-document.js';

/** A health check of a local instance, as the UI shows it. */
export interface CheckView {
  readonly type: string;
  /** `healthy`, `sickly`, `unknown`; `''` before the first run. */
  readonly result: string;
  /** Why the last run failed: the error text, the HTTP status, the exit code and output. */
  readonly reason: string;
  readonly lastRunMs: number;
  readonly consecutiveFailures: number;
}

export interface InstanceView {
  readonly id: string;
  readonly host: string;
  readonly image: string;
  readonly ports: ReadonlyArray<{ readonly ip: string; readonly port: number; readonly servicePort: number; readonly type: string }>;
  readonly status: StatusCode;
  readonly statusName: string;
  readonly mode: string;
  readonly updatedMs: number;
  /** The check's last result: known for this host's instances only (checks are not gossiped). */
  readonly check: CheckView | null;
}

export interface ServiceView {
  readonly name: string;
  readonly instances: readonly InstanceView[];
}

export interface MemberView {
  readonly name: string;
  readonly address: string;
  /** `alive`, `suspect`, `dead`, `left`; `gone` for a host the catalog still holds records of but gossip no longer lists. */
  readonly state: string;
  readonly incarnation: number;
  readonly lastChangeMs: number;
  /** Records of this host that are not tombstones. */
  readonly services: number;
}

/** Every service by name (sorted), each instance with its check when it runs here. */
export function servicesView(state: StateView, checks: readonly CheckDescription[]): ServiceView[] {
  const checkById = new Map(checks.map((c) => [c.id, c]));
  const byName = new Map<string, InstanceView[]>();
  for (const server of state.servers.values()) {
    for (const svc of server.services.values()) {
      const check = server.name === state.hostname ? checkById.get(svc.id) : undefined;
      let list = byName.get(svc.name);
      if (list === undefined) byName.set(svc.name, (list = []));
      list.push(instanceView(svc, check));
    }
  }
  return [...byName.keys()].sort().map((name) => ({
    name,
    instances: (byName.get(name) ?? []).sort((a, b) => (a.host === b.host ? (a.id < b.id ? -1 : 1) : a.host < b.host ? -1 : 1)),
  }));
}

function instanceView(svc: Service, check: CheckDescription | undefined): InstanceView {
  return {
    id: svc.id,
    host: svc.hostname,
    image: svc.image,
    ports: (svc.ports ?? []).map((p) => ({ ip: p.ip, port: p.port, servicePort: p.servicePort, type: p.type })),
    status: svc.status,
    statusName: statusString(svc.status).toUpperCase(),
    mode: svc.proxyMode,
    updatedMs: timestampToMs(svc.updated),
    check:
      check === undefined
        ? null
        : { type: check.type, result: check.lastResult ?? '', reason: check.lastError ?? '', lastRunMs: check.lastRunMs, consecutiveFailures: check.consecutiveFailures },
  };
}

/** The gossip members (every state), then hosts only the catalog still knows, with their live service counts. */
export function membersView(members: readonly ApiMemberDetail[], state: StateView): MemberView[] {
  const counts = new Map<string, number>();
  for (const server of state.servers.values()) {
    let n = 0;
    for (const svc of server.services.values()) if (svc.status !== ServiceStatus.TOMBSTONE) n++;
    counts.set(server.name, n);
  }
  const out: MemberView[] = members.map((m) => ({
    name: m.name,
    address: m.address,
    state: m.state,
    incarnation: m.incarnation,
    lastChangeMs: m.stateChangeMs,
    services: counts.get(m.name) ?? 0,
  }));
  const known = new Set(members.map((m) => m.name));
  for (const server of state.servers.values()) {
    if (known.has(server.name)) continue;
    out.push({ name: server.name, address: '', state: 'gone', incarnation: 0, lastChangeMs: timestampToMs(server.lastChanged), services: counts.get(server.name) ?? 0 });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
