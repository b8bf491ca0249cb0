import type { FastpathRoute } from './fastpath-routes.js';
import { FASTPATH_TABLE, endpointChain, endpointRule, serviceChain, serviceRule } from './nft-ruleset.js';

/**
 * The text of ONE `nft -f -` transaction that turns the table built for `prev` (by
 * {@link buildNftRuleset} or earlier updates) into the table for `next`, touching only the
 * ports that changed: a routing update usually moves one endpoint of one service, and nft's
 * work grows with what a transaction names, not with the table (measured: bench/fastpath-apply.ts).
 * `''` when nothing changes. Order inside the transaction matters and is kept: chains are made
 * before anything jumps to them, and a chain is deleted only once nothing refers to it.
 * Pure: the same inputs give the same text.
 */
export function buildNftUpdate(prev: readonly FastpathRoute[], next: readonly FastpathRoute[], bindIp: string, table: string = FASTPATH_TABLE): string {
  const t = `ip ${table}`;
  const before = new Map(prev.map((r) => [r.servicePort, r]));
  const after = new Map(next.map((r) => [r.servicePort, r]));
  const lines: string[] = [];
  for (const route of next) {
    const port = route.servicePort;
    const old = before.get(port);
    const had = old?.endpoints ?? [];
    route.endpoints.forEach((ep, i) => {
      const was = had[i];
      if (was === undefined) lines.push(`add chain ${t} ${endpointChain(port, i)}`, `add rule ${t} ${endpointChain(port, i)} ${endpointRule(ep)}`);
      else if (was.ip !== ep.ip || was.port !== ep.port) lines.push(`flush chain ${t} ${endpointChain(port, i)}`, `add rule ${t} ${endpointChain(port, i)} ${endpointRule(ep)}`);
    });
    if (old === undefined) {
      lines.push(`add chain ${t} ${serviceChain(port)}`, `add rule ${t} ${serviceChain(port)} ${serviceRule(route)}`);
      lines.push(`add element ${t} service_ports { ${bindIp} . ${port} : goto ${serviceChain(port)} }`);
    } else if (had.length !== route.endpoints.length) {
      lines.push(`flush chain ${t} ${serviceChain(port)}`, `add rule ${t} ${serviceChain(port)} ${serviceRule(route)}`);
    }
    for (let i = route.endpoints.length; i < had.length; i++) lines.push(`flush chain ${t} ${endpointChain(port, i)}`, `delete chain ${t} ${endpointChain(port, i)}`);
  }
  for (const old of prev) {
    const port = old.servicePort;
    if (after.has(port)) continue;
    lines.push(`delete element ${t} service_ports { ${bindIp} . ${port} }`);
    lines.push(`flush chain ${t} ${serviceChain(port)}`, `delete chain ${t} ${serviceChain(port)}`);
    old.endpoints.forEach((_, i) => lines.push(`flush chain ${t} ${endpointChain(port, i)}`, `delete chain ${t} ${endpointChain(port, i)}`));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
