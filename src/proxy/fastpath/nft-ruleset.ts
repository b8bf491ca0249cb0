import type { FastpathEndpoint, FastpathRoute } from './fastpath-routes.js';

/** The one nftables table the agent owns (`table ip sidecar`); nothing else is ever touched. */
export const FASTPATH_TABLE = 'sidecar';

/**
 * Our NAT chains run just before Docker's and kube-proxy's (both at `dstnat`, -100), so a
 * ServicePort on the bind IP is ours even when another NAT table also matches it. A number:
 * nft 1.0.6 (Debian 12) refuses `dstnat - 10` in a nat chain of the `ip` family.
 */
const DSTNAT_PRIORITY = -110;
/** Masquerade after DNAT, at the usual source-NAT priority (`srcnat`). */
const SRCNAT_PRIORITY = 100;

/** The chain of one ServicePort (round robin over its endpoint chains). */
export function serviceChain(servicePort: number): string {
  return `svc_${servicePort}`;
}

/** The chain of the i-th endpoint of one ServicePort (one `dnat`, one counter of new connections). */
export function endpointChain(servicePort: number, index: number): string {
  return `ep_${servicePort}_${index}`;
}

/** The one rule of a port's chain: round robin over its endpoint chains. */
export function serviceRule(route: FastpathRoute): string {
  const choices = route.endpoints.map((_, i) => `${i} : goto ${endpointChain(route.servicePort, i)}`).join(', ');
  return `numgen inc mod ${route.endpoints.length} vmap { ${choices} }`;
}

/** The one rule of an endpoint's chain: count the new connection and DNAT it. */
export function endpointRule(ep: FastpathEndpoint): string {
  return `meta l4proto tcp counter dnat to ${ep.ip}:${ep.port}`;
}

/**
 * The text of ONE `nft -f -` transaction that replaces the agent's table by the rules for
 * `routes` (kube-proxy's nftables design, reference/dataplane-and-fastpath.md §2.1):
 * - a verdict map from `<bind IP> . <ServicePort>` to the port's chain (one O(1) lookup);
 * - each port's chain picks an endpoint round robin (`numgen inc mod N vmap`);
 * - each endpoint's chain counts the connection (NAT chains see only a connection's first
 *   packet) and `dnat`s it; conntrack carries the rest, so an established connection keeps
 *   its endpoint when the rules change (drain);
 * - the map is consulted in `output` (processes on this host) and `prerouting` (containers on
 *   its bridges);
 * - `postrouting` masquerades a DNATed connection to the bind IP that leaves by another
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
  for (const route of routes) {
    lines.push(`  chain ${serviceChain(route.servicePort)} {`, `    ${serviceRule(route)}`, '  }');
    route.endpoints.forEach((ep, i) => {
      lines.push(`  chain ${endpointChain(route.servicePort, i)} {`, `    ${endpointRule(ep)}`, '  }');
    });
  }
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
    `    ct status dnat ct original ip daddr ${bindIp} oifname != "lo" masquerade`,
    '  }',
    '}',
  );
  return lines.join('\n') + '\n';
}

/** The text of one transaction that removes the agent's table, whether or not it exists. */
export function removeNftTable(table: string = FASTPATH_TABLE): string {
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}
