/** Docker discovery: the running containers of a Docker Engine as services (docs/labels.md). */
export { DockerDiscovery, type DockerDiscoveryOptions } from './docker-discovery.js';
export type { DockerClient, EventHandlers, EventSubscription } from './docker-client.js';
export { WATCHED_EVENTS } from './docker-client.js';
export { DockerodeClient, type DockerodeClientOptions } from './dockerode-client.js';
export { MemoryDockerClient } from './memory-docker-client.js';
export { resolveDockerEndpoint, DEFAULT_DOCKER_URL, type DockerEndpoint } from './docker-endpoint.js';
export { mapContainer, containerName, DOCKER_HEALTH_CHECK_TYPE, Labels, type MappedContainer, type MapperSettings } from './container-mapper.js';
export { DockerLabelNamer, RegexNamer, createServiceNamer, type ServiceNamer, type NamerSettings } from './namer.js';
export { JsonLineSplitter } from './event-lines.js';
export {
  summaryFromDetails,
  toHealthStatus,
  healthFromStatusText,
  rfc3339ToSeconds,
  type ContainerDetails,
  type ContainerSummary,
  type DockerEvent,
  type DockerHealthStatus,
  type DockerPortBinding,
  type DockerPortSummary,
} from './docker-types.js';
