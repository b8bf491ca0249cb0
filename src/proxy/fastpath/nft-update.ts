import type { FastpathRoute } from './fastpath-routes.js';
import { BACKENDS_MAP, ENDPOINTS_SET, FASTPATH_TABLE, backendElements, endpointElements, serviceChain, serviceRule } from './nft-ruleset.js';

/**
 * The text of ONE `nft -f -` transaction that turns the table built for `prev` (by
 * {@link buildNftRuleset} or earlier updates) into the table for `next`, touching only the
 * ports that changed: a routing update usually moves one endpoint of one service, and nft's
 * and the kernel's work grow with what a transaction names and with the table's objects
 * (measured: bench/fastpath-apply.ts, docs/fastpath.md). For a port whose endpoints changed:
 * its rule is rewritten only when their number changed (`flush chain` + `add rule`: the rule
 * holds only N), the slots of `backends` that now name another endpoint or none are deleted
 * and the new ones added, all in the same commit, so a drained endpoint gets no new
 * connection after it; the counted elements of the endpoints that left go, those that joined
 * come, those that stay keep their counters. `''` when nothing changes. Order inside the
 * transaction matters and is kept: a port's chain and slots are made before the verdict map
 * points at it, and deleted only once it no longer does.
 * Pure: the same inputs give the same text.
 */
export function buildNftUpdate(prev: readonly FastpathRoute[], next: readonly FastpathRoute[], bindIp: string, table: string = FASTPATH_TABLE): string {
  const t = `ip ${table}`;
  const before = new Map(prev.map((r) => [r.servicePort, r]));
  const after = new Map(next.map((r) => [r.servicePort, r]));
  const lines: string[] = [];
  const elements = (verb: 'add' | 'delete', set: string, list: readonly string[]): void => {
    if (list.length > 0) lines.push(`${verb} element ${t} ${set} { ${list.join(', ')} }`);
  };
  /** `<port> . <slot> : <ip> . <port>` → its key, `<port> . <slot>` (what `delete element` names). */
  const keyOf = (element: string): string => element.slice(0, element.indexOf(' : '));
  for (const route of next) {
    const port = route.servicePort;
    const old = before.get(port);
    if (old === undefined) {
      elements('add', BACKENDS_MAP, backendElements(route));
      lines.push(`add chain ${t} ${serviceChain(port)}`, `add rule ${t} ${serviceChain(port)} ${serviceRule(route)}`);
      lines.push(`add element ${t} service_ports { ${bindIp} . ${port} : goto ${serviceChain(port)} }`);
      elements('add', ENDPOINTS_SET, endpointElements(route));
      continue;
    }
    const hadSlots = backendElements(old);
    const hasSlots = backendElements(route);
    const kept = new Set(hasSlots);
    const gone = hadSlots.filter((e) => !kept.has(e));
    const came = new Set(hadSlots);
    const added = hasSlots.filter((e) => !came.has(e));
    if (gone.length === 0 && added.length === 0) continue;
    if (old.endpoints.length !== route.endpoints.length) lines.push(`flush chain ${t} ${serviceChain(port)}`, `add rule ${t} ${serviceChain(port)} ${serviceRule(route)}`);
    elements('delete', BACKENDS_MAP, gone.map(keyOf));
    elements('add', BACKENDS_MAP, added);
    const had = new Set(endpointElements(old));
    const has = new Set(endpointElements(route));
    elements('delete', ENDPOINTS_SET, [...had].filter((e) => !has.has(e)));
    elements('add', ENDPOINTS_SET, [...has].filter((e) => !had.has(e)));
  }
  for (const old of prev) {
    const port = old.servicePort;
    if (after.has(port)) continue;
    lines.push(`delete element ${t} service_ports { ${bindIp} . ${port} }`);
    lines.push(`flush chain ${t} ${serviceChain(port)}`, `delete chain ${t} ${serviceChain(port)}`);
    elements('delete', BACKENDS_MAP, backendElements(old).map(keyOf));
    elements('delete', ENDPOINTS_SET, endpointElements(old));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
