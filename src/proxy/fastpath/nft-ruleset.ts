import type { FastpathEndpoint, FastpathRoute } from './fastpath-routes.js';

/** The one nftables table the agent owns (`table ip sidecar`); nothing else is ever touched. */
export const FASTPATH_TABLE = 'sidecar';

/** The set of every endpoint the table DNATs to, one element (with its counter) per `<ServicePort> . <IP> . <port>`. */
export const ENDPOINTS_SET = 'endpoints';

/** The map from `<ServicePort> . <slot>` (0 … N-1, the round robin's pick) to `<endpoint IP> . <endpoint port>`. */
export const BACKENDS_MAP = 'backends';

/**
 * Our NAT chains run just before Docker's and kube-proxy's (both at `dstnat`, -100), so a
 * ServicePort on the bind IP is ours even when another NAT table also matches it. A number:
 * nft 1.0.6 (Debian 12) refuses `dstnat - 10` in a nat chain of the `ip` family.
 */
const DSTNAT_PRIORITY = -110;
/** Count and masquerade after DNAT, at the usual source-NAT priority (`srcnat`). */
const SRCNAT_PRIORITY = 100;

/** The chain of one ServicePort (its one rule picks an endpoint round robin and DNATs to it). */
export function serviceChain(servicePort: number): string {
  return `svc_${servicePort}`;
}

/**
 * The one rule of a port's chain: DNAT to the endpoint in {@link BACKENDS_MAP} at
 * `<ServicePort> . <next slot>`, round robin over N slots. Only N is in the rule, so an update
 * that replaces an endpoint by another changes map elements only.
 */
export function serviceRule(route: FastpathRoute): string {
  return `meta l4proto tcp dnat to tcp dport . numgen inc mod ${route.endpoints.length} map @${BACKENDS_MAP}`;
}

/** The elements of {@link BACKENDS_MAP} for one route: slot i is its i-th endpoint. */
export function backendElements(route: FastpathRoute): string[] {
  return route.endpoints.map((ep, i) => `${route.servicePort} . ${i} : ${ep.ip} . ${ep.port}`);
}

/** The element of {@link ENDPOINTS_SET} (and its counter of new connections) for one endpoint of one port. */
export function endpointElement(servicePort: number, ep: FastpathEndpoint): string {
  return `${servicePort} . ${ep.ip} . ${ep.port}`;
}

/** The elements of {@link ENDPOINTS_SET} for one route, each once (two records may name one address). */
export function endpointElements(route: FastpathRoute): string[] {
  return [...new Set(route.endpoints.map((ep) => endpointElement(route.servicePort, ep)))];
}

/** The rule that counts a DNATed connection on its endpoint's element (in `postrouting` and `input`). */
function countRule(bindIp: string): string {
  return `ct status dnat ct original ip daddr ${bindIp} meta l4proto tcp ct original proto-dst . ip daddr . tcp dport @${ENDPOINTS_SET}`;
}

/**
 * The text of ONE `nft -f -` transaction that replaces the agent's table by the rules for
 * `routes` (after kube-proxy's nftables design, reference/dataplane-and-fastpath.md §2.1, with
 * fewer kernel objects: a routing update must cost little at 1,000 services, docs/fastpath.md):
 * - a verdict map from `<bind IP> . <ServicePort>` to the port's chain (one O(1) lookup);
 * - each port's chain has one rule, `dnat to tcp dport . numgen inc mod N map @backends`:
 *   round robin over N slots, and the map `backends` holds `<ServicePort> . <slot>` →
 *   `<endpoint IP> . <endpoint port>` for every port (one map, no set per rule). NAT chains see
 *   only a connection's first packet; conntrack carries the rest, so an established connection
 *   keeps its endpoint when the rules change (drain);
 * - the verdict map is consulted in `output` (processes on this host) and `prerouting`
 *   (containers on its bridges);
 * - the set `endpoints` holds `<ServicePort> . <endpoint IP> . <endpoint port>` for every
 *   endpoint, each element with a counter: `postrouting` (a connection that leaves this host's
 *   stack) and `input` (one DNATed to an address of this host) look the DNATed connection's
 *   first packet up in it, so each element counts its endpoint's new connections. An element
 *   lives as long as its endpoint is in the port's rotation; its counter survives updates that
 *   do not remove it;
 * - `postrouting` then masquerades a DNATed connection to the bind IP that leaves by another
 *   interface than `lo`: an endpoint on another host, or one on the client container's own
 *   bridge (hairpin), would otherwise answer a source it cannot route back through us.
 *   The endpoint then sees this host's address, not the client's.
 * The transaction first makes sure the table exists, deletes it and builds it anew; nft runs a
 * file as one atomic transaction, so a connection sees either the old rules or the new ones.
 * Pure: the same routes give the same text.
 */
export function buildNftRuleset(routes: readonly FastpathRoute[], bindIp: string, table: string = FASTPATH_TABLE): string {
  const lines: string[] = [];
  lines.push(`table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`);
  lines.push('  map service_ports {', '    type ipv4_addr . inet_service : verdict');
  if (routes.length > 0) {
    lines.push('    elements = {');
    for (const route of routes) lines.push(`      ${bindIp} . ${route.servicePort} : goto ${serviceChain(route.servicePort)},`);
    lines.push('    }');
  }
  lines.push('  }');
  // `typeof`: nft 1.0.6 cannot name numgen's type (`integer`, of no fixed size) in a `type` concatenation.
  lines.push(`  map ${BACKENDS_MAP} {`, '    typeof tcp dport . numgen inc mod 2 : ip daddr . tcp dport');
  if (routes.length > 0) {
    lines.push('    elements = {');
    for (const route of routes) for (const element of backendElements(route)) lines.push(`      ${element},`);
    lines.push('    }');
  }
  lines.push('  }');
  lines.push(`  set ${ENDPOINTS_SET} {`, '    type inet_service . ipv4_addr . inet_service', '    counter');
  if (routes.length > 0) {
    lines.push('    elements = {');
    for (const route of routes) for (const element of endpointElements(route)) lines.push(`      ${element},`);
    lines.push('    }');
  }
  lines.push('  }');
  for (const route of routes) lines.push(`  chain ${serviceChain(route.servicePort)} {`, `    ${serviceRule(route)}`, '  }');
  lines.push(
    '  chain output {',
    `    type nat hook output priority ${DSTNAT_PRIORITY}; policy accept;`,
    '    ip daddr . tcp dport vmap @service_ports',
    '  }',
    '  chain prerouting {',
    `    type nat hook prerouting priority ${DSTNAT_PRIORITY}; policy accept;`,
    '    ip daddr . tcp dport vmap @service_ports',
    '  }',
    '  chain postrouting {',
    `    type nat hook postrouting priority ${SRCNAT_PRIORITY}; policy accept;`,
    `    ${countRule(bindIp)}`,
    `    ct status dnat ct original ip daddr ${bindIp} oifname != "lo" masquerade`,
    '  }',
    '  chain input {',
    `    type nat hook input priority ${SRCNAT_PRIORITY}; policy accept;`,
    `    ${countRule(bindIp)}`,
    '  }',
    '}',
  );
  return lines.join('\n') + '\n';
}

/** The text of one transaction that removes the agent's table, whether or not it exists. */
export function removeNftTable(table: string = FASTPATH_TABLE): string {
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}
