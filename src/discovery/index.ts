/**
 * discovery: finds this host's services (static file, Docker, Kubernetes pods) and the listener URLs they
 * ask for. Sources are combined in the configured order by {@link MultiDiscovery}. The
 * {@link WatchFollower} follows another Sidecar's whole state (`sidecar proxy --follow`).
 */
export type { DiscoverySource, ListenerSpec } from './source.js';
export { MultiDiscovery } from './multi-discovery.js';
export { StaticDiscovery, type StaticDiscoveryOptions } from './static/index.js';
export { DockerDiscovery, type DockerDiscoveryOptions, type DockerClient, DockerodeClient, MemoryDockerClient, createServiceNamer, type ServiceNamer, type NamerSettings, resolveDockerEndpoint, DOCKER_HEALTH_CHECK_TYPE, type DockerHealthStatus } from './docker/index.js';
export { KubernetesDiscovery, type KubernetesDiscoveryOptions } from './kubernetes/index.js';
export { WatchFollower, type WatchFollowerOptions } from './watch/index.js';
