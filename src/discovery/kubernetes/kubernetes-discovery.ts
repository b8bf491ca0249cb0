import { Backoff, Emitter, ErrorCode, SidecarError, errorMessage, type Clock, type Event, type Logger, type TimerHandle } from '../../core/index.js';
import type { CheckSpec, Service, StatusCode } from '../../catalog/index.js';
import type { DiscoverySource, ListenerSpec } from '../source.js';
import { KubeApiError, KubeClient } from './kube-client.js';
import { describeConnection } from './kube-connection.js';
import { resolveKubeConnection } from './resolve-connection.js';
import type { KubeNode, KubeService, Pod } from './kube-objects.js';
import { KubeReflector } from './kube-reflector.js';
import { POD_LABEL_SELECTOR, SERVICE_LABEL_SELECTOR, indexServices, internalIp, mapPod, type MappedPod } from './pod-mapper.js';
import { deniedMessage } from './rbac-message.js';

export interface KubernetesDiscoveryOptions {
  /** --kube-api-url ('' = found, see resolveKubeConnection). */
  readonly kubeApiUrl: string;
  readonly kubeApiIp: string;
  readonly kubeApiPort: number;
  readonly kubeCredsPath: string;
  /** K8S_NAMESPACE: pods and Services of this namespace; '' or `*` = all namespaces. */
  readonly namespace: string;
  /** The Kubernetes node this agent runs on (K8S_NODE_NAME, default the agent's hostname). */
  readonly nodeName: string;
  /** The agent's node name: every service's `Hostname`. */
  readonly hostname: string;
  /** Used as the ports' IP until the node's InternalIP is known, if the node cannot be read (403/404). */
  readonly advertiseIp: string;
  /** Longest wait for one API request, in ms (K8S_KUBE_TIMEOUT, default 3000). */
  readonly timeoutMs: number;
  /** KUBERNETES_SERVICE_HOST/_PORT and KUBECONFIG come from here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest wait in start() for the first lists, in ms. Default: `timeoutMs`. The agent starts anyway and announces the pods when they come. */
  readonly startWaitMs?: number;
  /** Passed to the reflectors (tests shorten them). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly watchTimeoutSeconds?: number;
}

/** The check of every pod: in memory, always passing; the status comes from {@link KubernetesDiscovery.statusOf}. */
const NO_HTTP_CHECK: CheckSpec = { type: 'AlwaysSuccessful', args: '' };

/**
 * `kubernetes_api` discovery: the pods of this node that carry a `ServiceName` label, as
 * the Go Sidecar announced them (see pod-mapper.ts), found by watching rather than polling:
 * - pods of this node only (`fieldSelector=spec.nodeName=<node>`, the kubelet's own query),
 *   labelled Services, each with list + watch (kube-reflector.ts); the node read once;
 * - readiness is health: {@link statusOf} gives ALIVE / UNHEALTHY / DRAINING from the pod,
 *   and the daemon uses it instead of a health check; a deleted pod vanishes from
 *   {@link services}, which tombstones it at once;
 * - while the API server is away the last known pods stay announced (the kubelet keeps
 *   them running) and the watches are retried with back-off.
 */
export class KubernetesDiscovery implements DiscoverySource {
  readonly name = 'kubernetes_api';
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;

  private readonly log: Logger;
  private client: KubeClient | undefined;
  private pods: KubeReflector<Pod> | undefined;
  private kubeServices: KubeReflector<KubeService> | undefined;
  private nodeIp: string | undefined;
  /** The node could not be read (yet): ports use the advertise IP meanwhile. Before the first answer nothing is announced. */
  private nodeFailed = false;
  private readonly nodeController = new AbortController();
  private nodeTimer: TimerHandle | undefined;
  private nodeLoop: Promise<void> | undefined;
  private view: readonly Service[] = Object.freeze([]);
  private statuses = new Map<string, StatusCode>();
  private viewKey = '';
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KubernetesDiscoveryOptions) {
    this.log = options.logger;
  }

  /** Requests sent so far: lists and watches of pods and Services, node reads (figures for tests and docs). */
  get requestCounts(): { lists: number; watches: number } {
    return {
      lists: (this.pods?.lists ?? 0) + (this.kubeServices?.lists ?? 0),
      watches: (this.pods?.watches ?? 0) + (this.kubeServices?.watches ?? 0),
    };
  }

  /**
   * Resolves the connection (a bad setting rejects with CONFIG_INVALID), logs it, starts the
   * watches and waits up to `startWaitMs` for the first lists and the node. An absent API server does not fail it.
   */
  async start(): Promise<void> {
    const o = this.options;
    const connection = resolveKubeConnection({ kubeApiUrl: o.kubeApiUrl, kubeApiIp: o.kubeApiIp, kubeApiPort: o.kubeApiPort, kubeCredsPath: o.kubeCredsPath, env: o.env, clock: o.clock });
    const all = o.namespace === '' || o.namespace === '*';
    const prefix = all ? '/api/v1' : `/api/v1/namespaces/${encodeURIComponent(o.namespace)}`;
    this.log.info(
      { source: connection.source, node: o.nodeName, namespace: all ? '(all)' : o.namespace },
      `${describeConnection(connection)}; watching the pods of node ${o.nodeName} in ${all ? 'all namespaces' : `namespace ${o.namespace}`}`,
    );
    const client = new KubeClient({ connection, clock: o.clock, timeoutMs: o.timeoutMs });
    this.client = client;
    const common = {
      client,
      clock: o.clock,
      onChange: () => this.recompute(),
      ...(o.retryMinMs === undefined ? {} : { retryMinMs: o.retryMinMs }),
      ...(o.retryMaxMs === undefined ? {} : { retryMaxMs: o.retryMaxMs }),
      ...(o.watchTimeoutSeconds === undefined ? {} : { watchTimeoutSeconds: o.watchTimeoutSeconds }),
    };
    this.pods = new KubeReflector<Pod>({
      ...common,
      resource: 'pods',
      path: `${prefix}/pods`,
      query: { fieldSelector: `spec.nodeName=${o.nodeName}`, labelSelector: POD_LABEL_SELECTOR },
      logger: this.log.child({ resource: 'pods' }),
    });
    this.kubeServices = new KubeReflector<KubeService>({
      ...common,
      resource: 'services',
      path: `${prefix}/services`,
      query: { labelSelector: SERVICE_LABEL_SELECTOR },
      logger: this.log.child({ resource: 'services' }),
    });
    this.nodeLoop = this.readNode();
    this.pods.start();
    this.kubeServices.start();
    await this.waitForFirstSync(o.startWaitMs ?? o.timeoutMs);
  }

  services(): readonly Service[] {
    return this.view;
  }

  /** Pods are judged by the kubelet's readiness, not by an HTTP check: see {@link statusOf}. */
  healthCheck(svc: Service): CheckSpec | null {
    return this.statuses.has(svc.id) ? NO_HTTP_CHECK : null;
  }

  /** The status Kubernetes gives the pod with this UID (undefined: not one of ours). */
  statusOf(id: string): StatusCode | undefined {
    return this.statuses.get(id);
  }

  listeners(): readonly ListenerSpec[] {
    return [];
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.nodeController.abort();
      if (this.nodeTimer !== undefined) this.options.clock.clearTimeout(this.nodeTimer);
      await Promise.allSettled([this.pods?.close(), this.kubeServices?.close(), this.nodeLoop]);
      this.client?.close();
      this.changed.dispose();
    })();
    return this.closing;
  }

  /** GETs this node until it has an InternalIP; meanwhile (or if nodes cannot be read) ports use the advertise IP. */
  private async readNode(): Promise<void> {
    const o = this.options;
    const backoff = new Backoff({ initialMs: o.retryMinMs ?? 500, maxMs: o.retryMaxMs ?? 30_000, jitter: 0.2 });
    const signal = this.nodeController.signal;
    let lastProblem = '';
    while (!signal.aborted && this.client !== undefined) {
      try {
        const node = (await this.client.getJson(`/api/v1/nodes/${encodeURIComponent(o.nodeName)}`, {}, signal)) as KubeNode;
        const ip = internalIp(node);
        if (ip === undefined) throw new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `node ${o.nodeName} has no InternalIP address`);
        this.nodeIp = ip;
        this.log.info({ node: o.nodeName, internalIp: ip }, `Kubernetes node ${o.nodeName}: ports are announced on its InternalIP ${ip}`);
        this.recompute();
        return;
      } catch (err) {
        if (signal.aborted) return;
        const problem =
          err instanceof KubeApiError && (err.status === 401 || err.status === 403)
            ? deniedMessage(err.status, 'get', 'nodes')
            : err instanceof KubeApiError && err.status === 404
              ? `node ${o.nodeName} not found: set K8S_NODE_NAME (the downward API's spec.nodeName) to this node's name`
              : errorMessage(err);
        if (!this.nodeFailed) {
          this.nodeFailed = true;
          this.recompute();
        }
        if (problem !== lastProblem) {
          lastProblem = problem;
          this.log.warn({ code: err instanceof SidecarError ? err.code : ErrorCode.KUBERNETES_UNREACHABLE }, `Kubernetes node: ${problem}; announcing ports on the advertise IP ${o.advertiseIp} until the node is read`);
        }
        await new Promise<void>((resolve) => {
          // One listener per wait, removed when the wait ends (an outage is many waits).
          const onAbort = (): void => resolve();
          this.nodeTimer = o.clock.setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          }, backoff.next());
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }
    }
  }

  private async waitForFirstSync(maxMs: number): Promise<void> {
    const deadline = this.options.clock.nowMs() + maxMs;
    const ready = (): boolean => this.pods?.hasSynced === true && this.kubeServices?.hasSynced === true && (this.nodeIp !== undefined || this.nodeFailed);
    while (!ready() && this.options.clock.nowMs() < deadline) {
      await new Promise<void>((resolve) => {
        const dispose = this.changed.event(() => {
          dispose.dispose();
          this.options.clock.clearTimeout(timer);
          resolve();
        });
        const timer = this.options.clock.setTimeout(() => {
          dispose.dispose();
          resolve();
        }, Math.max(1, Math.min(50, deadline - this.options.clock.nowMs())));
      });
    }
  }

  /** Rebuilds the announced list and statuses; fires onDidChange when either changed. */
  private recompute(): void {
    if (this.pods === undefined || this.kubeServices === undefined) return;
    const o = this.options;
    const index = indexServices(this.kubeServices.items.values());
    const nodeIp = this.nodeIp ?? (this.nodeFailed ? o.advertiseIp : undefined);
    const mapped: MappedPod[] = [];
    if (nodeIp !== undefined) {
      for (const pod of this.pods.items.values()) {
        const m = mapPod(pod, index, o.nodeName, nodeIp, o.hostname);
        if (m !== null) mapped.push(m);
      }
    }
    mapped.sort((a, b) => (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0));
    const key = JSON.stringify(mapped, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (key === this.viewKey) return;
    this.viewKey = key;
    this.view = Object.freeze(mapped.map((m) => m.service));
    this.statuses = new Map(mapped.map((m) => [m.service.id, m.status]));
    this.changed.fire();
  }
}
