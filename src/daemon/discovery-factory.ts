import type { Clock, Logger } from '../core/index.js';
import type { SidecarConfig } from '../config/index.js';
import { MultiDiscovery, StaticDiscovery, type DiscoverySource } from '../discovery/index.js';

export interface BuiltDiscovery {
  readonly discovery: MultiDiscovery;
  /** One phrase per configured method, for the start-up summary. */
  readonly notes: string[];
}

/** Builds the configured discovery sources, in order. */
export function buildDiscovery(config: SidecarConfig, advertiseIp: string, clock: Clock, logger: Logger): BuiltDiscovery {
  const sources: DiscoverySource[] = [];
  const notes: string[] = [];
  for (const method of config.discovery) {
    switch (method) {
      case 'static':
        sources.push(
          new StaticDiscovery({
            file: config.staticConfigFile,
            hostname: config.hostname,
            advertiseIp,
            clock,
            logger: logger.child({ component: 'discovery.static' }),
          }),
        );
        break;
      case 'docker':
        notes.push('docker: Docker discovery is not in this build yet, so containers are not discovered (use --discover static)');
        break;
    }
  }
  if (config.discovery.length === 0) notes.push('no discovery method configured: passive mode, this host announces nothing');
  return { discovery: new MultiDiscovery(sources), notes };
}
