import { isIP } from 'node:net';
import type { RoutingTable } from '../routing-table.js';

/** One endpoint the kernel can DNAT to: an IPv4 address and a port. */
export interface FastpathEndpoint {
  /** The route's endpoint key (`<hostname>-<id>`), for counters and `show`. */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
}

/** One ServicePort the kernel forwards: its endpoints in the routing table's round-robin order. */
export interface FastpathRoute {
  readonly servicePort: number;
  readonly serviceName: string;
  /** Never empty. */
  readonly endpoints: readonly FastpathEndpoint[];
}

/**
 * The routes the nftables fast path carries: `tcp` mode only (HTTP and WebSocket stay on
 * the Node balancer, which parses requests), and of those the endpoints with an IPv4 address
 * (a record without an IP carries its hostname, which a DNAT rule cannot name). A route left
 * with no endpoint gets no rule, so its userland listener behind answers (and closes) instead.
 */
export function fastpathRoutes(table: RoutingTable): FastpathRoute[] {
  const out: FastpathRoute[] = [];
  for (const route of table.routes) {
    if (route.mode !== 'tcp') continue;
    const endpoints = route.endpoints
      .filter((ep) => isIP(ep.ip) === 4 && Number.isInteger(ep.port) && ep.port > 0 && ep.port <= 65535)
      .map((ep) => ({ key: ep.key, ip: ep.ip, port: ep.port }));
    if (endpoints.length === 0) continue;
    out.push({ servicePort: route.servicePort, serviceName: route.serviceName, endpoints });
  }
  return out;
}
