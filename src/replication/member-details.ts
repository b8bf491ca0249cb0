import { bytesToIp, formatPeerAddress, type Member, type MemberState } from '../membership/index.js';

/** A Sidecar node's metadata (`{"ClusterName":…,"State":"Running"}`), decoded. */
export interface NodeMeta {
  readonly clusterName: string;
  readonly state: string;
}

/**
 * One cluster member as the API's `/api/members.json` shows it. Structurally the API's
 * `ApiMemberDetail`, so `() => memberDetails(cluster.members())` can be handed to it as is.
 */
export interface MemberDetail {
  readonly name: string;
  /** `ip:port`, IPv6 in brackets. */
  readonly address: string;
  readonly state: MemberState;
  readonly incarnation: number;
  /** Clock time of the last state change, ms since the Unix epoch. */
  readonly stateChangeMs: number;
  /** The decoded node metadata, or null when it is not a Sidecar's (e.g. a Serf node's tags). */
  readonly meta: NodeMeta | null;
}

/** The member list of `/api/services.json` (`ClusterMembers`): pass the cluster's live members. */
export function apiMembers(members: readonly Member[]): Array<{ readonly name: string }> {
  return members.map((m) => ({ name: m.name }));
}

/** Every member's details, in the order given. */
export function memberDetails(members: readonly Member[]): MemberDetail[] {
  return members.map((m) => ({
    name: m.name,
    address: formatMemberAddress(m.addr, m.port),
    state: m.state,
    incarnation: m.incarnation,
    stateChangeMs: m.stateChangeMs,
    meta: decodeNodeMeta(m.meta),
  }));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes node metadata as Go's `json.Unmarshal` into `{ClusterName, State string}` would:
 * keys match ignoring case, unknown keys are ignored, a missing key is `''`. Anything else
 * (not UTF-8, not a JSON object, a non-string value) is null.
 */
export function decodeNodeMeta(meta: Uint8Array): NodeMeta | null {
  if (meta.length === 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(meta));
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const clusterName = stringField(obj, 'ClusterName');
  const state = stringField(obj, 'State');
  if (clusterName === undefined || state === undefined) return null;
  return { clusterName, state };
}

/** The field's string value, `''` when missing or null, undefined when of another type. */
function stringField(obj: Record<string, unknown>, name: string): string | undefined {
  let v: unknown;
  if (Object.prototype.hasOwnProperty.call(obj, name)) v = obj[name];
  else {
    const lower = name.toLowerCase();
    for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) v = obj[key];
  }
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : undefined;
}

/**
 * `ip:port` from memberlist's address bytes, as Go's `net.JoinHostPort(ip.String(), port)`:
 * 4 bytes or an IPv4-mapped IPv6 address give dotted IPv4, other 16-byte addresses the
 * shortest IPv6 form in brackets; any other length is shown as hex.
 */
export function formatMemberAddress(addr: Uint8Array, port: number): string {
  const host = bytesToIp(addr);
  return host === '' ? `?${Buffer.from(addr).toString('hex')}:${port}` : formatPeerAddress({ host, port });
}
