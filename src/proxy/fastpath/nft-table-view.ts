/** One endpoint as the kernel's rules have it: its round-robin slot, the DNAT target and the new connections counted for it. */
export interface NftEndpointView {
  /** The slot of the port's round robin (`numgen inc mod N`) that picks it, 0 … N-1. */
  readonly slot: number;
  readonly ip: string;
  readonly port: number;
  /**
   * Packets its element of the counting set saw: the count rules match a DNATed connection's
   * first packet only, so new connections since the element was added (it lives as long as
   * the endpoint is in the port's rotation). 0 when the set has no element for it.
   */
  readonly connections: number;
}

/** One ServicePort as the kernel's rules have it: its endpoints in round-robin order. */
export interface NftPortView {
  readonly servicePort: number;
  /** The port's chain (`svc_<port>`). */
  readonly chain: string;
  readonly endpoints: readonly NftEndpointView[];
}

export type NftTableViewResult = { readonly ok: true; readonly ports: readonly NftPortView[] } | { readonly ok: false; readonly error: string };

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A verdict (`{ goto: { target } }` or `{ jump: { target } }`) → its target chain. */
function verdictTarget(value: unknown): string | undefined {
  const v = obj(value);
  const target = obj(v?.['goto'])?.['target'] ?? obj(v?.['jump'])?.['target'];
  return typeof target === 'string' ? target : undefined;
}

/** A set or map element, unwrapped from `{ elem: { val } }` (nft writes that when it carries a counter or timeout). */
function elementValue(value: unknown): unknown {
  return obj(obj(value)?.['elem'])?.['val'] ?? value;
}

/** A port chain's round robin: `dnat to tcp dport . numgen inc mod N map @<map>`. */
interface RoundRobin {
  readonly map: string;
  readonly slots: number;
}

/**
 * The fast path's rules as the kernel holds them, from `nft -j list table ip <table>`
 * (nft 1.0's JSON schema 1), following the references rather than the names: the
 * `service_ports` map's elements for `bindIp` name each port's chain; that chain's rule
 * `dnat to tcp dport . numgen inc mod N map @<map>` names the map whose elements
 * `<ServicePort> . <slot>` → `<IP> . <port>` are its endpoints, slot 0 … N-1 in round-robin
 * order; the set a count rule looks `ct original proto-dst . ip daddr . tcp dport` up in holds
 * each endpoint's counter. `text` must already be bounded in size (the runner keeps at most its
 * `maxOutputBytes`); anything unexpected in it is skipped, never trusted: a slot without a map
 * element is left out. Ports ascending. Pure.
 */
export function parseNftTableView(text: string, bindIp: string): NftTableViewResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `nft -j printed something that is not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const items = obj(doc)?.['nftables'];
  if (!Array.isArray(items)) return { ok: false, error: 'nft -j printed JSON without an `nftables` array' };
  const portChains = new Map<number, string>();
  const roundRobins = new Map<string, RoundRobin>();
  /** Map or set name → its elements. */
  const elements = new Map<string, readonly unknown[]>();
  const countingSets = new Set<string>();
  for (const item of items) {
    const named = obj(obj(item)?.['map']) ?? obj(obj(item)?.['set']);
    if (named !== undefined && typeof named['name'] === 'string') elements.set(named['name'], arr(named['elem']));
    const rule = obj(obj(item)?.['rule']);
    const chain = rule?.['chain'];
    if (rule === undefined || typeof chain !== 'string') continue;
    for (const expr of arr(rule['expr'])) {
      const rr = roundRobinOf(expr);
      if (rr !== undefined && !roundRobins.has(chain)) roundRobins.set(chain, rr);
      const set = countingSetOf(expr);
      if (set !== undefined) countingSets.add(set);
    }
  }
  for (const element of elements.get('service_ports') ?? []) {
    const [key, verdict] = arr(element);
    const [ip, port] = arr(obj(elementValue(key))?.['concat']);
    const target = verdictTarget(verdict);
    if (ip === bindIp && typeof port === 'number' && target !== undefined) portChains.set(port, target);
  }
  const counters = new Map<string, number>();
  for (const set of countingSets) {
    for (const element of elements.get(set) ?? []) {
      const [servicePort, ip, port] = arr(obj(elementValue(element))?.['concat']);
      const packets = obj(obj(obj(element)?.['elem'])?.['counter'])?.['packets'];
      if (typeof packets === 'number') counters.set(`${String(servicePort)} ${String(ip)} ${String(port)}`, packets);
    }
  }
  const ports: NftPortView[] = [];
  for (const [servicePort, chain] of [...portChains].sort((a, b) => a[0] - b[0])) {
    const rr = roundRobins.get(chain);
    const bySlot = new Map<number, { ip: string; port: number }>();
    for (const element of rr === undefined ? [] : (elements.get(rr.map) ?? [])) {
      const [key, value] = arr(element);
      const [p, slot] = arr(obj(elementValue(key))?.['concat']);
      const [ip, port] = arr(obj(value)?.['concat']);
      if (p === servicePort && typeof slot === 'number' && typeof ip === 'string' && typeof port === 'number') bySlot.set(slot, { ip, port });
    }
    const endpoints: NftEndpointView[] = [];
    for (let slot = 0; slot < (rr?.slots ?? 0); slot++) {
      const ep = bySlot.get(slot);
      if (ep !== undefined) endpoints.push({ slot, ...ep, connections: counters.get(`${servicePort} ${ep.ip} ${ep.port}`) ?? 0 });
    }
    ports.push({ servicePort, chain, endpoints });
  }
  return { ok: true, ports };
}

/** `{ dnat: { addr: { map: { key: { concat: [ …, { numgen: { mod: N } } ] }, data: "@<map>" } } } }` → the map and N. */
function roundRobinOf(expr: unknown): RoundRobin | undefined {
  const map = obj(obj(obj(obj(expr)?.['dnat'])?.['addr'])?.['map']);
  const data = map?.['data'];
  if (typeof data !== 'string' || !data.startsWith('@')) return undefined;
  for (const part of arr(obj(map?.['key'])?.['concat'])) {
    const mod = obj(obj(part)?.['numgen'])?.['mod'];
    if (typeof mod === 'number' && Number.isInteger(mod) && mod > 0 && mod <= 65_536) return { map: data.slice(1), slots: mod };
  }
  return undefined;
}

/** A match of `ct original proto-dst . …` against `@<set>` (the count rules) → the set. */
function countingSetOf(expr: unknown): string | undefined {
  const match = obj(obj(expr)?.['match']);
  const right = match?.['right'];
  const [first] = arr(obj(match?.['left'])?.['concat']);
  if (typeof right !== 'string' || !right.startsWith('@') || obj(obj(first)?.['ct'])?.['key'] !== 'proto-dst') return undefined;
  return right.slice(1);
}
