import { availableParallelism, hostname as osHostname } from 'node:os';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../core/index.js';
import type { Parsed } from './go-values.js';
import { asBool, asDuration, asEnum, asInt, asIp, asKeys, asList, asNonEmpty, asOptionalIp, asPort, asSeeds, asString, type RawFlag } from './value-kinds.js';

export type { RawFlag } from './value-kinds.js';

export const DISCOVERY_METHODS = ['docker', 'static', 'kubernetes_api'] as const;
export type DiscoveryMethod = (typeof DISCOVERY_METHODS)[number];
export const SERVICE_NAMERS = ['docker_label', 'regex'] as const;
export type ServiceNamer = (typeof SERVICE_NAMERS)[number];
export const GOSSIP_DIALECTS = ['sidecar', 'memberlist'] as const;
export type GossipDialect = (typeof GOSSIP_DIALECTS)[number];

/** The validated, frozen configuration of one agent. */
export interface SidecarConfig {
  /** Node name in the cluster and `Hostname` of our own services. */
  readonly hostname: string;
  readonly clusterName: string;
  /** Address announced to peers and used for checks; null = pick a private IPv4, else 127.0.0.1. */
  readonly advertiseIp: string | null;
  readonly excludeIps: readonly string[];
  readonly seeds: readonly string[];
  readonly bindPort: number;
  /** Gossip encryption keys (16, 24 or 32 bytes each); the first encrypts, all decrypt. Empty: plaintext. */
  readonly encryptKeys: readonly Uint8Array[];
  /** The key file the keys were read from ('' when none); its keys are in {@link encryptKeys}. */
  readonly encryptKeyFile: string;
  /** Wire dialect: the Go Sidecar's memberlist fork (cluster name on the wire) or stock memberlist (serf). */
  readonly gossipDialect: GossipDialect;
  readonly discovery: readonly DiscoveryMethod[];
  readonly staticConfigFile: string;
  readonly dockerUrl: string;
  /** Kubernetes API address as a URL (http or https, every port); '' = find it (the Go settings, in a pod, KUBECONFIG, the Go defaults). */
  readonly kubeApiUrl: string;
  /** Go's K8S_KUBE_API_IP; '' = not set (127.0.0.1 when nothing else gives an address). */
  readonly kubeApiIp: string;
  /** Go's K8S_KUBE_API_PORT; 0 = not set (8080 when nothing else gives an address; 443 means https). */
  readonly kubeApiPort: number;
  /** Namespace whose pods and Services are announced; '' or `*` = all namespaces. */
  readonly kubeNamespace: string;
  /** Longest wait for one Kubernetes API request (not a watch), in ms. */
  readonly kubeTimeoutMs: number;
  /** Folder of the service-account `token` and `ca.crt`. */
  readonly kubeCredsPath: string;
  /** The Kubernetes node this agent runs on; '' = the agent's hostname. */
  readonly kubeNodeName: string;
  readonly servicesNamer: ServiceNamer;
  readonly servicesNameMatch: string;
  readonly servicesNameLabel: string;
  readonly defaultCheckEndpoint: string;
  readonly healthRise: number;
  readonly healthFall: number;
  readonly pushPullIntervalMs: number;
  readonly gossipMessages: number;
  readonly gossipIntervalMs: number;
  readonly handoffQueueDepth: number;
  readonly loggingLevel: LogLevel;
  readonly loggingFormat: LogFormat;
  readonly httpPort: number;
  readonly httpBind: string;
  /** File holding the token API mutations need ('' = none). */
  readonly apiTokenFile: string;
  /** The token itself, from the environment only ('' = none). A secret: never logged. */
  readonly apiToken: string;
  /** Extra names accepted in `Host` of API mutations, besides the agent's own. */
  readonly apiAllowedHosts: readonly string[];
  /** PEM certificate and key for HTTPS on the API port ('' = plain HTTP). */
  readonly apiTlsCert: string;
  readonly apiTlsKey: string;
  /** Most API connections open at once. */
  readonly apiMaxConnections: number;
  /** Most `/api/watch` clients at once. */
  readonly apiMaxWatchers: number;
  /** A watch client whose unsent bytes pass this is dropped. */
  readonly apiWatchMaxBufferBytes: number;
  /** A watch client that does not take a document for this long is dropped. */
  readonly apiWatchStallTimeoutMs: number;
  readonly proxyBindIp: string;
  readonly proxyDisabled: boolean;
  readonly proxySlowStartMs: number;
  readonly proxyServerTimeoutMs: number;
  readonly proxyClientTimeoutMs: number;
  readonly proxyServerIdleTimeoutMs: number;
  /** 0: derived from the open-files limit at start. */
  readonly proxyMaxConnections: number;
  /** Worker threads that forward; 0: the main thread forwards. */
  readonly proxyWorkers: number;
  /** '': off; '-': stdout; else a file appended to. */
  readonly proxyAccessLog: string;
  /** `nftables`: the kernel forwards TCP-mode ServicePorts (an nftables table of the agent's); `off`: the Node balancer does. */
  readonly proxyTcpFastpath: ProxyTcpFastpath;
  readonly listenerUrls: readonly string[];
}

export type ConfigKey = keyof SidecarConfig;

/** How TCP-mode ServicePorts are forwarded: by the kernel (`nftables`) or by the Node balancer (`off`). */
export const PROXY_TCP_FASTPATHS = ['off', 'nftables'] as const;
export type ProxyTcpFastpath = (typeof PROXY_TCP_FASTPATHS)[number];

/** Upper bound of `--proxy-workers`: more threads than this only add memory and contention. */
const MAX_PROXY_WORKERS = 64;

export interface FlagDef {
  /** `--advertise-ip` */
  readonly long: string;
  /** `-a` */
  readonly short?: string;
  /** May be given several times; the values replace the environment's list. */
  readonly repeatable?: boolean;
  /** A switch that takes no value (`--no-proxy`). */
  readonly switch?: boolean;
  /** Placeholder for help, e.g. `<ip>`. */
  readonly arg?: string;
}

export interface Setting<K extends ConfigKey = ConfigKey> {
  readonly key: K;
  /** Environment variables in lookup order; the first one that is set wins (empty counts as set). */
  readonly env: readonly string[];
  readonly flag?: FlagDef;
  /** Shown in docs: `string`, `int`, `duration`… */
  readonly type: string;
  readonly parse: (raw: RawFlag) => Parsed<SidecarConfig[K]>;
  readonly defaultValue: () => SidecarConfig[K];
  /** The default as the docs show it. */
  readonly defaultText: string;
  readonly doc: string;
  /** `go`: the Go Sidecar has it with the same meaning; `new`: ours only. */
  readonly origin: 'go' | 'new';
  /** A secret: problems name the variable or flag and the entry, never the value. */
  readonly secret?: true;
}

// ------------------------------------------------------------ value kinds

function asDiscovery(raw: RawFlag): Parsed<DiscoveryMethod[]> {
  const list = asList(raw);
  if (!list.ok) return list;
  const known: readonly string[] = DISCOVERY_METHODS;
  const bad = list.value.filter((m) => !known.includes(m));
  if (bad.length > 0) {
    return { ok: false, reason: `unknown discovery method ${bad.map((b) => JSON.stringify(b)).join(', ')}; expected ${DISCOVERY_METHODS.join(', ')}` };
  }
  return { ok: true, value: list.value.filter((m): m is DiscoveryMethod => (DISCOVERY_METHODS as readonly string[]).includes(m)) };
}

/** A duration above zero. */
function asPositiveDuration(raw: RawFlag): Parsed<number> {
  const p = asDuration(raw);
  return p.ok && p.value <= 0 ? { ok: false, reason: 'must be more than 0' } : p;
}

/** '' or an absolute http:// or https:// URL with a host. */
function asKubeUrl(raw: RawFlag): Parsed<string> {
  const value = typeof raw === 'string' ? raw.trim() : String(raw).trim();
  if (value === '') return { ok: true, value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'expected an http:// or https:// URL such as https://10.0.0.1:6443' };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return { ok: false, reason: 'expected an http:// or https:// URL such as https://10.0.0.1:6443' };
  }
  return { ok: true, value: value.replace(/\/+$/, '') };
}

/** A load balancer timeout: a duration of at least 10 ms (the forwarders sweep their timeouts in steps). */
function asProxyTimeout(raw: RawFlag): Parsed<number> {
  const p = asDuration(raw);
  return p.ok && p.value < 10 ? { ok: false, reason: 'must be at least 10ms' } : p;
}

function setting<K extends ConfigKey>(def: Setting<K>): Setting {
  return def as unknown as Setting;
}

const fixed =
  <T>(value: T) =>
  (): T =>
    value;

// ------------------------------------------------------------ the settings

/**
 * Every setting of the agent, in the order the docs list them. (This file stays whole past
 * 400 lines: it is the one table of settings, and docs and --help are generated from it.)
 */
export const SETTINGS: readonly Setting[] = [
  setting({
    key: 'hostname',
    env: ['SIDECAR_HOSTNAME'],
    flag: { long: '--hostname', arg: '<name>' },
    type: 'string',
    parse: asNonEmpty,
    defaultValue: () => osHostname(),
    defaultText: 'the OS hostname',
    doc: 'Node name in the cluster; also the `Hostname` of this host\'s services. Must be unique per host.',
    origin: 'new',
  }),
  setting({
    key: 'clusterName',
    env: ['SIDECAR_CLUSTER_NAME', 'CLUSTER_NAME'],
    flag: { long: '--cluster-name', short: '-n', arg: '<name>' },
    type: 'string',
    parse: asNonEmpty,
    defaultValue: fixed('default'),
    defaultText: 'default',
    doc: 'Cluster name; nodes of other clusters are refused.',
    origin: 'go',
  }),
  setting({
    key: 'advertiseIp',
    env: ['SIDECAR_ADVERTISE_IP', 'ADVERTISE_IP'],
    flag: { long: '--advertise-ip', short: '-a', arg: '<ip>' },
    type: 'IPv4',
    parse: asOptionalIp,
    defaultValue: fixed(null),
    defaultText: 'first private IPv4 (10/8, 172.16/12, 192.168/16) not excluded; else 127.0.0.1 with a warning',
    doc: 'Address announced to peers, default IP of service ports and `{{ host }}` in checks.',
    origin: 'go',
  }),
  setting({
    key: 'excludeIps',
    env: ['SIDECAR_EXCLUDE_IPS', 'EXCLUDE_IPS'],
    type: 'list',
    parse: asList,
    defaultValue: fixed(['192.168.168.168']),
    defaultText: '192.168.168.168',
    doc: 'Addresses never chosen as the advertise IP.',
    origin: 'go',
  }),
  setting({
    key: 'seeds',
    env: ['SIDECAR_SEEDS', 'SEEDS'],
    flag: { long: '--cluster-ip', short: '-c', arg: '<host[:port]>', repeatable: true },
    type: 'list',
    parse: asSeeds,
    defaultValue: fixed([]),
    defaultText: '(none: run alone)',
    doc: 'Seed hosts to join, `host` or `host:port`. The flag replaces the variable\'s list.',
    origin: 'go',
  }),
  setting({
    key: 'bindPort',
    env: ['SIDECAR_BIND_PORT', 'BIND_PORT'],
    flag: { long: '--bind-port', arg: '<port>' },
    type: 'port',
    parse: asPort,
    defaultValue: fixed(7946),
    defaultText: '7946',
    doc: 'Gossip port, TCP and UDP.',
    origin: 'go',
  }),
  setting({
    key: 'encryptKeys',
    env: ['SIDECAR_ENCRYPT_KEYS'],
    flag: { long: '--encrypt-key', arg: '<base64>', repeatable: true },
    type: 'list',
    parse: asKeys,
    defaultValue: fixed([]),
    defaultText: '(none)',
    doc: 'Gossip encryption keys given directly (base64, as `sidecar keygen` makes). Prefer `--encrypt-key-file`: a key on the command line is visible to every user of the host in /proc/PID/cmdline. The flag replaces the variable\'s list.',
    origin: 'new',
    secret: true,
  }),
  setting({
    key: 'encryptKeyFile',
    env: ['SIDECAR_ENCRYPT_KEY_FILE'],
    flag: { long: '--encrypt-key-file', arg: '<path>' },
    type: 'path',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(none: plaintext gossip, as the Go Sidecar)',
    doc: 'File of gossip encryption keys (AES-GCM), one base64 key of 16, 24 or 32 bytes per line (`sidecar keygen > file`; mode 600). The first encrypts; all decrypt, so a new key can be rolled out as a second line, then moved first. The normal way to run a new cluster; leave it unset only to join Go Sidecars, which have no key.',
    origin: 'new',
  }),
  setting({
    key: 'gossipDialect',
    env: ['SIDECAR_GOSSIP_DIALECT'],
    flag: { long: '--gossip-dialect', arg: '<sidecar|memberlist>' },
    type: 'enum',
    parse: asEnum(GOSSIP_DIALECTS),
    defaultValue: fixed('sidecar'),
    defaultText: 'sidecar',
    doc: '`sidecar`: the Go Sidecar\'s memberlist fork, which carries the cluster name and refuses other clusters. `memberlist`: stock HashiCorp memberlist, to join serf agents (no cluster name on the wire: keep clusters apart by port or key).',
    origin: 'new',
  }),
  setting({
    key: 'discovery',
    env: ['SIDECAR_DISCOVERY', 'DISCOVERY'],
    flag: { long: '--discover', short: '-d', arg: '<method>', repeatable: true },
    type: 'list',
    parse: asDiscovery,
    defaultValue: fixed(['docker']),
    defaultText: 'docker',
    doc: 'Discovery methods in order: `docker`, `static`, `kubernetes_api` (docs/kubernetes.md). Empty = passive (announce nothing). The flag replaces the variable\'s list.',
    origin: 'go',
  }),
  setting({
    key: 'staticConfigFile',
    env: ['STATIC_CONFIG_FILE', 'CONFIG_FILE'],
    flag: { long: '--static-config', arg: '<file>' },
    type: 'path',
    parse: asNonEmpty,
    defaultValue: fixed('static.json'),
    defaultText: 'static.json',
    doc: 'The static services file (JSON), relative to the working directory. Reloaded when it changes.',
    origin: 'go',
  }),
  setting({
    key: 'dockerUrl',
    env: ['DOCKER_URL', 'URL'],
    type: 'url',
    parse: asString,
    defaultValue: fixed('unix:///var/run/docker.sock'),
    defaultText: 'unix:///var/run/docker.sock',
    doc: 'Docker Engine endpoint. Set to the empty string to use DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH.',
    origin: 'go',
  }),
  setting({
    key: 'kubeApiUrl',
    env: ['K8S_KUBE_API_URL', 'KUBE_API_URL'],
    flag: { long: '--kube-api-url', arg: '<url>' },
    type: 'url',
    parse: asKubeUrl,
    defaultValue: fixed(''),
    defaultText: '(empty: found)',
    doc: 'Kubernetes API server as a URL, any scheme and port (`https://10.0.0.1:6443`, `http://127.0.0.1:8001` for `kubectl proxy`). Empty: K8S_KUBE_API_IP/PORT when set, else in a pod its service account, else `KUBECONFIG`, else `http://127.0.0.1:8080` (docs/kubernetes.md).',
    origin: 'new',
  }),
  setting({
    key: 'kubeApiIp',
    env: ['K8S_KUBE_API_IP', 'KUBE_API_IP'],
    type: 'string',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '127.0.0.1',
    doc: 'Kubernetes API address (Go setting). Set with or without K8S_KUBE_API_PORT, it wins over the in-pod and KUBECONFIG connections.',
    origin: 'go',
  }),
  setting({
    key: 'kubeApiPort',
    env: ['K8S_KUBE_API_PORT', 'KUBE_API_PORT'],
    type: 'int',
    parse: asPort,
    defaultValue: fixed(0),
    defaultText: '8080',
    doc: 'Kubernetes API port (Go setting). As in Go, the scheme is `https` only for port 443; use --kube-api-url for https on 6443.',
    origin: 'go',
  }),
  setting({
    key: 'kubeNamespace',
    env: ['K8S_NAMESPACE', 'NAMESPACE'],
    type: 'string',
    parse: asString,
    defaultValue: fixed('default'),
    defaultText: 'default',
    doc: 'Namespace whose pods are announced, with the Services of the same namespace. Empty or `*`: all namespaces (each pod matched to the Service of its own namespace).',
    origin: 'go',
  }),
  setting({
    key: 'kubeTimeoutMs',
    env: ['K8S_KUBE_TIMEOUT', 'KUBE_TIMEOUT'],
    type: 'duration',
    parse: asPositiveDuration,
    defaultValue: fixed(3000),
    defaultText: '3s',
    doc: 'Longest wait for one Kubernetes API request (connect, list, node). Watches are long requests: they end on the server\'s timeout and are renewed.',
    origin: 'go',
  }),
  setting({
    key: 'kubeCredsPath',
    env: ['K8S_CREDS_PATH', 'CREDS_PATH'],
    type: 'path',
    parse: asNonEmpty,
    defaultValue: fixed('/var/run/secrets/kubernetes.io/serviceaccount'),
    defaultText: '/var/run/secrets/kubernetes.io/serviceaccount',
    doc: 'Folder of the bearer `token` (re-read on 401 and every minute: projected tokens rotate) and the API\'s `ca.crt`.',
    origin: 'go',
  }),
  setting({
    key: 'kubeNodeName',
    env: ['K8S_NODE_NAME', 'NODE_NAME'],
    flag: { long: '--kube-node-name', arg: '<name>' },
    type: 'string',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: 'the agent\'s hostname',
    doc: 'The Kubernetes node this agent runs on: only its pods are announced. In a DaemonSet set it from the downward API (`spec.nodeName`). The Go Sidecar matched the node\'s `Hostname` address to its own node name.',
    origin: 'new',
  }),
  setting({
    key: 'servicesNamer',
    env: ['SERVICES_NAMER', 'NAMER'],
    type: 'enum',
    parse: asEnum(SERVICE_NAMERS),
    defaultValue: fixed('docker_label' as const),
    defaultText: 'docker_label',
    doc: 'How Docker containers are named: `docker_label` (label below, else the image) or `regex` (SERVICES_NAME_MATCH on the container name).',
    origin: 'go',
  }),
  setting({
    key: 'servicesNameMatch',
    env: ['SERVICES_NAME_MATCH', 'NAME_MATCH'],
    type: 'regex',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(empty)',
    doc: 'Regular expression for the `regex` namer; its first group is the name.',
    origin: 'go',
  }),
  setting({
    key: 'servicesNameLabel',
    env: ['SERVICES_NAME_LABEL', 'NAME_LABEL'],
    type: 'string',
    parse: asNonEmpty,
    defaultValue: fixed('ServiceName'),
    defaultText: 'ServiceName',
    doc: 'Container label holding the service name for the `docker_label` namer.',
    origin: 'go',
  }),
  setting({
    key: 'defaultCheckEndpoint',
    env: ['SIDECAR_DEFAULT_CHECK_ENDPOINT', 'DEFAULT_CHECK_ENDPOINT'],
    type: 'string',
    parse: asString,
    defaultValue: fixed('/version'),
    defaultText: '/version',
    doc: 'Path of the default HttpGet check (first TCP port of the service); empty means `/`.',
    origin: 'go',
  }),
  setting({
    key: 'healthRise',
    env: ['SIDECAR_HEALTH_RISE'],
    flag: { long: '--health-rise', arg: '<n>' },
    type: 'int',
    parse: asInt(1, 100),
    defaultValue: fixed(1),
    defaultText: '1',
    doc: 'Consecutive passing checks that make a failed service ALIVE again.',
    origin: 'new',
  }),
  setting({
    key: 'healthFall',
    env: ['SIDECAR_HEALTH_FALL'],
    flag: { long: '--health-fall', arg: '<n>' },
    type: 'int',
    parse: asInt(1, 100),
    defaultValue: fixed(1),
    defaultText: '1 (the Go Sidecar: one failure)',
    doc: 'Consecutive failing checks that make a service UNHEALTHY. Raise it to stop flapping.',
    origin: 'new',
  }),
  setting({
    key: 'pushPullIntervalMs',
    env: ['SIDECAR_PUSH_PULL_INTERVAL', 'PUSH_PULL_INTERVAL'],
    type: 'duration',
    parse: (raw) => {
      const p = asDuration(raw);
      return p.ok && p.value === 0 ? { ok: true, value: 79_000 } : p;
    },
    defaultValue: fixed(20_000),
    defaultText: '20s (0 means 79s)',
    doc: 'Full-state anti-entropy exchange with a random peer.',
    origin: 'go',
  }),
  setting({
    key: 'gossipMessages',
    env: ['SIDECAR_GOSSIP_MESSAGES', 'GOSSIP_MESSAGES'],
    type: 'int',
    parse: (raw) => {
      const p = asInt(0, 10_000)(raw);
      return p.ok && p.value === 0 ? { ok: true, value: 3 } : p;
    },
    defaultValue: fixed(15),
    defaultText: '15 (0 means 3)',
    doc: 'Broadcast batches sent per gossip tick.',
    origin: 'go',
  }),
  setting({
    key: 'gossipIntervalMs',
    env: ['SIDECAR_GOSSIP_INTERVAL', 'GOSSIP_INTERVAL'],
    type: 'duration',
    parse: asDuration,
    defaultValue: fixed(200),
    defaultText: '200ms',
    doc: 'Period of gossip rounds.',
    origin: 'go',
  }),
  setting({
    key: 'handoffQueueDepth',
    env: ['SIDECAR_HANDOFF_QUEUE_DEPTH', 'HANDOFF_QUEUE_DEPTH'],
    type: 'int',
    parse: asInt(1, 1_000_000),
    defaultValue: fixed(1024),
    defaultText: '1024',
    // memberlist queues incoming user and alive messages for a separate goroutine and drops them past this depth;
    // here each packet is handled as it is read, on the event loop, so there is no such queue to bound.
    doc: 'Accepted for Go Sidecar compatibility and ignored: memberlist bounds a queue of incoming gossip messages waiting for another goroutine with it; this agent handles each message as it arrives, so there is no such queue.',
    origin: 'go',
  }),
  setting({
    key: 'loggingLevel',
    env: ['SIDECAR_LOGGING_LEVEL', 'LOGGING_LEVEL'],
    flag: { long: '--logging-level', short: '-l', arg: '<level>' },
    type: 'enum',
    parse: asEnum(LOG_LEVELS, 'info'),
    defaultValue: fixed('info' as const),
    defaultText: 'info',
    doc: 'debug, info, warn or error.',
    origin: 'go',
  }),
  setting({
    key: 'loggingFormat',
    env: ['SIDECAR_LOGGING_FORMAT', 'LOGGING_FORMAT'],
    flag: { long: '--logging-format', arg: '<format>' },
    type: 'enum',
    parse: asEnum(LOG_FORMATS, 'text'),
    defaultValue: fixed('text' as const),
    defaultText: 'text',
    doc: '`text` (one readable line per record, full timestamps) or `json` (one JSON object per line).',
    origin: 'go',
  }),
  setting({
    key: 'httpPort',
    env: ['SIDECAR_HTTP_PORT'],
    flag: { long: '--http-port', arg: '<port>' },
    type: 'port',
    parse: asPort,
    defaultValue: fixed(7777),
    defaultText: '7777',
    doc: 'Port of the HTTP API and UI.',
    origin: 'new',
  }),
  setting({
    key: 'httpBind',
    env: ['SIDECAR_HTTP_BIND'],
    flag: { long: '--http-bind', arg: '<ip>' },
    type: 'IPv4',
    parse: asIp,
    defaultValue: fixed('0.0.0.0'),
    defaultText: '0.0.0.0',
    doc: 'Address the HTTP API binds.',
    origin: 'new',
  }),
  setting({
    key: 'apiTokenFile',
    env: ['SIDECAR_API_TOKEN_FILE'],
    flag: { long: '--api-token-file', arg: '<path>' },
    type: 'path',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(none)',
    doc: 'File holding the token that API mutations (drain, undrain, maintenance) need, sent as `Authorization: Bearer <token>` or `X-Sidecar-Token`. Read once at start (at most 4096 bytes, trimmed). With no token, mutations are accepted from loopback peers only.',
    origin: 'new',
  }),
  setting({
    key: 'apiToken',
    env: ['SIDECAR_API_TOKEN'],
    type: 'secret',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(none)',
    doc: 'The API token itself; wins over `--api-token-file`. Environment only: a flag would show in `/proc/PID/cmdline`. Never logged.',
    origin: 'new',
    secret: true,
  }),
  setting({
    key: 'apiAllowedHosts',
    env: ['SIDECAR_API_ALLOWED_HOSTS'],
    flag: { long: '--api-allowed-host', arg: '<name>', repeatable: true },
    type: 'list',
    parse: asList,
    defaultValue: fixed([]),
    defaultText: '(none)',
    doc: 'Names, besides the agent\'s own (hostname, advertise IP, bind IP, interface addresses, localhost, the well-known IP), that API mutations may carry in `Host`, e.g. a DNS name operators use. Other names are refused (DNS rebinding).',
    origin: 'new',
  }),
  setting({
    key: 'apiTlsCert',
    env: ['SIDECAR_API_TLS_CERT'],
    flag: { long: '--api-tls-cert', arg: '<path>' },
    type: 'path',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(none: plain HTTP)',
    doc: 'PEM certificate (chain) for HTTPS on the API port; needs `--api-tls-key` too. Clients of the Go Sidecar use `http://`, so this is opt-in.',
    origin: 'new',
  }),
  setting({
    key: 'apiTlsKey',
    env: ['SIDECAR_API_TLS_KEY'],
    flag: { long: '--api-tls-key', arg: '<path>' },
    type: 'path',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(none: plain HTTP)',
    doc: 'PEM private key for `--api-tls-cert`.',
    origin: 'new',
  }),
  setting({
    key: 'apiMaxConnections',
    env: ['SIDECAR_API_MAX_CONNECTIONS'],
    flag: { long: '--api-max-connections', arg: '<n>' },
    type: 'int',
    parse: asInt(1, 65535),
    defaultValue: fixed(256),
    defaultText: '256 (and never more than a quarter of the open-files limit less 128)',
    doc: 'Most API connections open at once; more are closed as they arrive. The agent keeps 128 file descriptors of its open-files limit for gossip and health checks and gives the API at most a quarter of the rest (the load balancer the other three quarters), so a flood of API connections, proxy connections or both cannot starve the control plane.',
    origin: 'new',
  }),
  setting({
    key: 'apiMaxWatchers',
    env: ['SIDECAR_API_MAX_WATCHERS'],
    flag: { long: '--api-max-watchers', arg: '<n>' },
    type: 'int',
    parse: asInt(1, 65535),
    defaultValue: fixed(64),
    defaultText: '64',
    doc: 'Most `/api/watch` clients at once (each holds a copy of the state in its socket); the next one gets 503.',
    origin: 'new',
  }),
  setting({
    key: 'apiWatchMaxBufferBytes',
    env: ['SIDECAR_API_WATCH_MAX_BUFFER_BYTES'],
    flag: { long: '--api-watch-max-buffer-bytes', arg: '<bytes>' },
    type: 'int',
    parse: asInt(1024, 1024 * 1024 * 1024),
    defaultValue: fixed(8 * 1024 * 1024),
    defaultText: '8388608 (8 MiB)',
    doc: 'A `/api/watch` client with more than this many bytes queued in the agent for it is dropped (logged once).',
    origin: 'new',
  }),
  setting({
    key: 'apiWatchStallTimeoutMs',
    env: ['SIDECAR_API_WATCH_STALL_TIMEOUT'],
    flag: { long: '--api-watch-stall-timeout', arg: '<duration>' },
    type: 'duration',
    parse: asDuration,
    defaultValue: fixed(30_000),
    defaultText: '30s',
    doc: 'A `/api/watch` client whose socket stays full (it does not read) for this long is dropped (logged once), freeing what the kernel holds for it.',
    origin: 'new',
  }),
  setting({
    key: 'proxyBindIp',
    env: ['PROXY_BIND_IP', 'HAPROXY_BIND_IP', 'BIND_IP'],
    flag: { long: '--proxy-bind-ip', arg: '<ip>' },
    type: 'IPv4',
    parse: asIp,
    defaultValue: fixed('192.168.168.168'),
    defaultText: '192.168.168.168',
    doc: 'The well-known IP the load balancer binds every ServicePort on (HAPROXY_BIND_IP is honoured).',
    origin: 'go',
  }),
  setting({
    key: 'proxyDisabled',
    env: ['PROXY_DISABLE', 'HAPROXY_DISABLE', 'DISABLE'],
    flag: { long: '--no-proxy', switch: true },
    type: 'bool',
    parse: asBool,
    defaultValue: fixed(false),
    defaultText: 'false',
    doc: 'Run without the load balancer (HAPROXY_DISABLE is honoured).',
    origin: 'go',
  }),
  setting({
    key: 'proxySlowStartMs',
    env: ['PROXY_SLOW_START'],
    flag: { long: '--proxy-slow-start', arg: '<duration>' },
    type: 'duration',
    parse: asDuration,
    defaultValue: fixed(10_000),
    defaultText: '10s (0 turns it off)',
    doc: 'An instance that just became ALIVE ramps up to its full share of new connections and requests over this window.',
    origin: 'new',
  }),
  setting({
    key: 'proxyServerTimeoutMs',
    env: ['PROXY_SERVER_TIMEOUT'],
    flag: { long: '--proxy-server-timeout', arg: '<duration>' },
    type: 'duration',
    parse: asProxyTimeout,
    defaultValue: fixed(60_000),
    defaultText: "1m (HAProxy's `timeout server 1m`, as the Go Sidecar set it)",
    doc:
      'HTTP mode: how long an instance may stay silent while a request waits on it (for the response head, or between body bytes). ' +
      'Past it the client gets a 504 (or its connection closes if the head was sent), the upstream connection is closed, ' +
      'and the time-out counts toward ejecting the instance (5 in a row eject it for 10 s, doubling up to 30 s, or until its health check passes again).',
    origin: 'new',
  }),
  setting({
    key: 'proxyClientTimeoutMs',
    env: ['PROXY_CLIENT_TIMEOUT'],
    flag: { long: '--proxy-client-timeout', arg: '<duration>' },
    type: 'duration',
    parse: asProxyTimeout,
    defaultValue: fixed(60_000),
    defaultText: "1m (HAProxy's `timeout client 1m`, as the Go Sidecar set it)",
    doc:
      'How long a client may stay silent while the load balancer waits on it. HTTP mode: for a request head, a request body or its close (and the client side of an upgraded connection); past it the connection is closed. ' +
      'TCP mode: a connection is closed once its client has been silent this long and its instance for `--proxy-server-idle-timeout`.',
    origin: 'new',
  }),
  setting({
    key: 'proxyServerIdleTimeoutMs',
    env: ['PROXY_SERVER_IDLE_TIMEOUT'],
    flag: { long: '--proxy-server-idle-timeout', arg: '<duration>' },
    type: 'duration',
    parse: asProxyTimeout,
    defaultValue: fixed(60_000),
    defaultText: "1m (HAProxy's `timeout server 1m`, as the Go Sidecar set it)",
    doc:
      'TCP mode: a connection is closed once its instance has been silent this long and its client for `--proxy-client-timeout` (bytes either way keep it open). ' +
      'HTTP mode waits on an instance for `--proxy-server-timeout` instead.',
    origin: 'new',
  }),
  setting({
    key: 'proxyMaxConnections',
    env: ['PROXY_MAX_CONNECTIONS'],
    flag: { long: '--proxy-max-connections', arg: '<n>' },
    type: 'int',
    parse: asInt(0, 1 << 20),
    defaultValue: fixed(0),
    defaultText: '0: three quarters of (open-files limit − 128), halved, read at start (256 → 48, 1024 → 336)',
    doc:
      'Client connections the load balancer holds at once, all ServicePorts together (each takes 2 file descriptors: client and upstream). ' +
      'More are closed at once (HTTP: 503) and counted in /api/proxy.json, so a flood of connections cannot take the descriptors gossip and health checks need (128 are kept for them; the API has its own quarter of the rest).',
    origin: 'new',
  }),
  setting({
    key: 'proxyWorkers',
    env: ['PROXY_WORKERS'],
    flag: { long: '--proxy-workers', arg: '<n>' },
    type: 'int',
    parse: asInt(0, MAX_PROXY_WORKERS),
    defaultValue: () => Math.min(MAX_PROXY_WORKERS, Math.max(1, availableParallelism())),
    defaultText: 'the CPUs this process may run on (its affinity mask: `taskset`, cgroup cpusets), at least 1',
    doc:
      'Worker threads that forward connections, each with its own listening socket on every ServicePort (SO_REUSEPORT: the kernel spreads new connections over them). ' +
      'Gossip, health checks and the API stay on the main thread, so proxy load does not slow them. 0: the main thread forwards (the single-thread mode, for the smallest hosts). Each worker costs about 15 MiB.',
    origin: 'new',
  }),
  setting({
    key: 'proxyAccessLog',
    env: ['PROXY_ACCESS_LOG'],
    flag: { long: '--proxy-access-log', arg: '<path|->' },
    type: 'path',
    parse: asString,
    defaultValue: fixed(''),
    defaultText: '(none: off)',
    doc:
      'Proxy access log: one JSON line per proxied HTTP request or TCP connection (time, service, port, client, backend, status, duration, bytes in and out; see the README) appended to this file, or written to stdout with `-`. ' +
      'Every forwarding thread writes its own lines in batches, off the request path; if the disk cannot keep up, lines are dropped and counted rather than buffered without bound. Open it with append-only rotation in mind (logrotate `copytruncate`).',
    origin: 'new',
  }),
  setting({
    key: 'proxyTcpFastpath',
    env: ['PROXY_TCP_FASTPATH'],
    flag: { long: '--proxy-tcp-fastpath', arg: '<mode>' },
    type: 'enum',
    parse: asEnum(PROXY_TCP_FASTPATHS, 'off'),
    defaultValue: fixed('off' as const),
    defaultText: 'off',
    doc:
      '`nftables`: connections to a `tcp`-mode ServicePort on the bind IP (from this host and from containers on its bridges) are DNATed by the kernel to an ALIVE endpoint, round robin, through an nftables table of the agent\'s own (`table ip sidecar`, one transaction per catalog change, removed at exit); no bytes pass through Node. ' +
      'Needs `nft` (Debian `nftables`) and CAP_NET_ADMIN, else the agent says why once and the Node balancer serves. The kernel does no retries or redispatch, no per-request stats and no outlier detection; HTTP and WebSocket ports stay on the Node balancer. `off`: the Node balancer forwards everything.',
    origin: 'new',
  }),
  setting({
    key: 'listenerUrls',
    env: ['LISTENERS_URLS', 'URLS'],
    type: 'list',
    parse: asList,
    defaultValue: fixed([]),
    defaultText: '(none)',
    doc: 'URLs that receive a POST of the state and the change on every change event.',
    origin: 'go',
  }),
];
