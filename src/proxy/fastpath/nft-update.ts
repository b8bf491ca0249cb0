import type { FastpathRoute } from './fastpath-routes.js';
import { ENDPOINTS_SET, FASTPATH_TABLE, endpointElements, serviceChain, serviceRule } from './nft-ruleset.js';

/**
 * The text of ONE `nft -f -` transaction that turns the table built for `prev` (by
 * {@link buildNftRuleset} or earlier updates) into the table for `next`, touching only the
 * ports that changed: a routing update usually moves one endpoint of one service, and nft's
 * and the kernel's work grow with what a transaction names and with the table's objects
 * (measured: bench/fastpath-apply.ts, docs/fastpath.md). A port whose endpoints changed gets
 * its one rule rewritten (`flush chain` + `add rule`: the old round robin is gone in the same
 * commit, so a drained endpoint gets no new connection after it); the counted elements of the
 * endpoints that left go, those that joined come, those that stay keep their counters.
 * `''` when nothing changes. Order inside the transaction matters and is kept: a chain is made
 * before the map points at it, and deleted only once nothing refers to it.
 * Pure: the same inputs give the same text.
 */
export function buildNftUpdate(prev: readonly FastpathRoute[], next: readonly FastpathRoute[], bindIp: string, table: string = FASTPATH_TABLE): string {
  const t = `ip ${table}`;
  const before = new Map(prev.map((r) => [r.servicePort, r]));
  const after = new Map(next.map((r) => [r.servicePort, r]));
  const lines: string[] = [];
  const elements = (verb: 'add' | 'delete', list: readonly string[]): void => {
    if (list.length > 0) lines.push(`${verb} element ${t} ${ENDPOINTS_SET} { ${list.join(', ')} }`);
  };
  for (const route of next) {
    const port = route.servicePort;
    const old = before.get(port);
    const rule = serviceRule(route);
    if (old === undefined) {
      lines.push(`add chain ${t} ${serviceChain(port)}`, `add rule ${t} ${serviceChain(port)} ${rule}`);
      lines.push(`add element ${t} service_ports { ${bindIp} . ${port} : goto ${serviceChain(port)} }`);
      elements('add', endpointElements(route));
      continue;
    }
    if (serviceRule(old) === rule) continue;
    lines.push(`flush chain ${t} ${serviceChain(port)}`, `add rule ${t} ${serviceChain(port)} ${rule}`);
    const had = new Set(endpointElements(old));
    const has = new Set(endpointElements(route));
    elements('delete', [...had].filter((e) => !has.has(e)));
    elements('add', [...has].filter((e) => !had.has(e)));
  }
  for (const old of prev) {
    const port = old.servicePort;
    if (after.has(port)) continue;
    lines.push(`delete element ${t} service_ports { ${bindIp} . ${port} }`);
    lines.push(`flush chain ${t} ${serviceChain(port)}`, `delete chain ${t} ${serviceChain(port)}`);
    elements('delete', endpointElements(old));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
