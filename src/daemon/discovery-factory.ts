import type { Clock, Logger } from '../core/index.js';
import type { SidecarConfig } from '../config/index.js';
import { DockerDiscovery, KubernetesDiscovery, MultiDiscovery, StaticDiscovery, createServiceNamer, type DiscoverySource } from '../discovery/index.js';

export interface BuiltDiscovery {
  readonly discovery: MultiDiscovery;
  /** One phrase per configured method, for the start-up summary. */
  readonly notes: string[];
  /** The Docker source when `docker` is configured (health reads Docker's own health from it). */
  readonly docker: DockerDiscovery | null;
}

/** Builds the configured discovery sources, in order. */
export function buildDiscovery(
  config: SidecarConfig,
  advertiseIp: string,
  clock: Clock,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>>,
): BuiltDiscovery {
  const sources: DiscoverySource[] = [];
  const notes: string[] = [];
  let docker: DockerDiscovery | null = null;
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
        docker = new DockerDiscovery({
          dockerUrl: config.dockerUrl,
          env,
          hostname: config.hostname,
          advertiseIp,
          namer: createServiceNamer({ namer: config.servicesNamer, nameLabel: config.servicesNameLabel, nameMatch: config.servicesNameMatch }),
          clock,
          logger: logger.child({ component: 'discovery.docker' }),
        });
        sources.push(docker);
        break;
      case 'kubernetes_api':
        sources.push(
          new KubernetesDiscovery({
            kubeApiUrl: config.kubeApiUrl,
            kubeApiIp: config.kubeApiIp,
            kubeApiPort: config.kubeApiPort,
            kubeCredsPath: config.kubeCredsPath,
            namespace: config.kubeNamespace,
            nodeName: config.kubeNodeName === '' ? config.hostname : config.kubeNodeName,
            hostname: config.hostname,
            advertiseIp,
            timeoutMs: config.kubeTimeoutMs,
            env,
            clock,
            logger: logger.child({ component: 'discovery.kubernetes' }),
          }),
        );
        break;
    }
  }
  if (config.discovery.length === 0) notes.push('no discovery method configured: passive mode, this host announces nothing');
  return { discovery: new MultiDiscovery(sources), notes, docker };
}
