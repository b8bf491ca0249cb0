/**
 * Kubernetes API discovery (`kubernetes_api`): this node's labelled pods, watched (not
 * polled) through a thin node:http(s) client; readiness is their health (docs/kubernetes.md).
 */
export { KubernetesDiscovery, type KubernetesDiscoveryOptions } from './kubernetes-discovery.js';
export { mapPod, podStatus, indexServices, internalIp, KubeLabels, type MappedPod } from './pod-mapper.js';
export { describeConnection, type KubeConnection } from './kube-connection.js';
export { resolveKubeConnection, type KubeConnectionSettings } from './resolve-connection.js';
export { KubeClient, KubeApiError, type KubeClientOptions } from './kube-client.js';
export { KubeReflector, type KubeReflectorOptions } from './kube-reflector.js';
export { BearerToken } from './bearer-token.js';
export { readKubeconfig } from './kubeconfig.js';
export { parseMiniYaml } from './mini-yaml.js';
export type { Pod, KubeService, KubeNode, KubeObject, WatchEvent } from './kube-objects.js';
