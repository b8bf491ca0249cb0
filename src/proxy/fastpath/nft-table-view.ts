/** One endpoint as the kernel's rules have it: the DNAT target and the new connections its chain counted. */
export interface NftEndpointView {
  /** The endpoint's chain (`ep_<port>_<i>`). */
  readonly chain: string;
  readonly ip: string;
  readonly port: number;
  /** Packets the chain's counter saw; a NAT chain sees only a connection's first packet, so: new connections since the chain was made. */
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

/**
 * The fast path's rules as the kernel holds them, from `nft -j list table ip <table>`
 * (nft 1.0's JSON schema 1): the `service_ports` map's elements for `bindIp` name each
 * port's chain; that chain's `numgen … vmap` names its endpoint chains in round-robin order;
 * each endpoint chain's rule holds the counter and the `dnat` target. Follows the references,
 * not the chain names. `text` must already be bounded in size (the runner keeps at most its
 * `maxOutputBytes`); anything unexpected in it is skipped, never trusted: an endpoint chain
 * without both a counter and a dnat is left out. Ports ascending. Pure.
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
  const rulesByChain = new Map<string, unknown[][]>();
  for (const item of items) {
    const map = obj(obj(item)?.['map']);
    if (map !== undefined && map['name'] === 'service_ports') {
      for (const element of arr(map['elem'])) {
        const [key, verdict] = arr(element);
        const [ip, port] = arr(obj(elementValue(key))?.['concat']);
        const target = verdictTarget(verdict);
        if (ip === bindIp && typeof port === 'number' && target !== undefined) portChains.set(port, target);
      }
    }
    const rule = obj(obj(item)?.['rule']);
    const chain = rule?.['chain'];
    if (rule !== undefined && typeof chain === 'string') {
      const list = rulesByChain.get(chain) ?? [];
      list.push([...arr(rule['expr'])]);
      rulesByChain.set(chain, list);
    }
  }
  const ports: NftPortView[] = [];
  for (const [servicePort, chain] of [...portChains].sort((a, b) => a[0] - b[0])) {
    const endpoints: NftEndpointView[] = [];
    for (const epChain of roundRobinTargets(rulesByChain.get(chain) ?? [])) {
      const endpoint = endpointOf(epChain, rulesByChain.get(epChain) ?? []);
      if (endpoint !== undefined) endpoints.push(endpoint);
    }
    ports.push({ servicePort, chain, endpoints });
  }
  return { ok: true, ports };
}

/** The chains a port's `numgen inc mod N vmap { 0 : goto …, … }` rule picks from, by index. */
function roundRobinTargets(rules: readonly unknown[][]): string[] {
  for (const expr of rules.flat()) {
    const vmap = obj(obj(expr)?.['vmap']);
    if (obj(vmap?.['key'])?.['numgen'] === undefined) continue;
    const entries: Array<[number, string]> = [];
    for (const element of arr(obj(vmap?.['data'])?.['set'])) {
      const [index, verdict] = arr(element);
      const target = verdictTarget(verdict);
      if (typeof index === 'number' && target !== undefined) entries.push([index, target]);
    }
    return entries.sort((a, b) => a[0] - b[0]).map(([, target]) => target);
  }
  return [];
}

/** An endpoint chain's counter and DNAT target, from the first rule that has both. */
function endpointOf(chain: string, rules: readonly unknown[][]): NftEndpointView | undefined {
  for (const exprs of rules) {
    let connections: number | undefined;
    let ip: string | undefined;
    let port: number | undefined;
    for (const expr of exprs) {
      const counter = obj(obj(expr)?.['counter']);
      if (typeof counter?.['packets'] === 'number') connections = counter['packets'];
      const dnat = obj(obj(expr)?.['dnat']);
      if (typeof dnat?.['addr'] === 'string' && typeof dnat['port'] === 'number') {
        ip = dnat['addr'];
        port = dnat['port'];
      }
    }
    if (connections !== undefined && ip !== undefined && port !== undefined) return { chain, ip, port, connections };
  }
  return undefined;
}
