import { hostname as osHostname, networkInterfaces } from 'node:os';
import type { SidecarConfig } from '../config/index.js';

/**
 * The names and addresses this agent answers to, for the `Host` and `Origin` checks of API
 * mutations: its node name and the OS hostname, the advertise and bind addresses, every
 * address of its interfaces, the well-known IP and its name `services`, loopback, and the
 * operator's extra names. A page whose name was re-resolved to this host (DNS rebinding)
 * carries its own name instead and is refused.
 */
export function agentHostNames(config: SidecarConfig, advertiseIp: string): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1', 'services', config.hostname, osHostname(), advertiseIp, config.httpBind, config.proxyBindIp]);
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) names.add(info.address);
  }
  for (const extra of config.apiAllowedHosts) names.add(extra);
  return [...names].filter((n) => n !== '' && n !== '0.0.0.0');
}
