import { encodeGoJsonPretty, formatTimestamp, msToTimestamp, sortedMap, type GoJson } from '../core/index.js';

/** A Sidecar node's metadata, decoded (`{"ClusterName":…,"State":"Running"}`). */
export interface ApiNodeMeta {
  readonly clusterName: string;
  readonly state: string;
}

/** One cluster member as `/api/members.json` shows it (new; the Go Sidecar had no such route). */
export interface ApiMemberDetail {
  /** The memberlist node name (the host name). */
  readonly name: string;
  /** `ip:port` the member gossips on (IPv6 in brackets); `''` when unknown. */
  readonly address: string;
  /** `alive`, `suspect`, `dead` or `left`. */
  readonly state: string;
  /** The member's SWIM incarnation number. */
  readonly incarnation: number;
  /** Clock time of the member's last state change, ms since the Unix epoch. */
  readonly stateChangeMs: number;
  /** Its node metadata, or null when that is not a Sidecar's (e.g. a Serf node's tags). */
  readonly meta: ApiNodeMeta | null;
}

/** The local node alone, for an agent that runs without a cluster. */
export function localMemberDetail(hostname: string, clusterName: string, sinceMs: number): ApiMemberDetail {
  return {
    name: hostname,
    address: '',
    state: 'alive',
    incarnation: 0,
    stateChangeMs: sinceMs,
    meta: { clusterName, state: 'Running' },
  };
}

/**
 * Pretty JSON object keyed by member name (sorted as Go sorts map keys, as `ClusterMembers`
 * of `/api/services.json` is), each value
 * `{"Name","Address","State","Incarnation","LastStateChange","Meta"}` with `LastStateChange`
 * in RFC 3339 and `Meta` `{"ClusterName","State"}` or null. No members: `{}`.
 */
export function membersJson(members: readonly ApiMemberDetail[]): string {
  return encodeGoJsonPretty(sortedMap(members.map((m) => [m.name, memberToGoJson(m)] as const)));
}

function memberToGoJson(m: ApiMemberDetail): GoJson {
  return new Map<string, GoJson>([
    ['Name', m.name],
    ['Address', m.address],
    ['State', m.state],
    ['Incarnation', m.incarnation],
    ['LastStateChange', formatTimestamp(msToTimestamp(m.stateChangeMs))],
    [
      'Meta',
      m.meta === null
        ? null
        : new Map<string, GoJson>([
            ['ClusterName', m.meta.clusterName],
            ['State', m.meta.state],
          ]),
    ],
  ]);
}
