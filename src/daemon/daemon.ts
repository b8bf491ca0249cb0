import {
  BugError,
  DisposableStore,
  TimestampSource,
  apiMaxConnections,
  readFdLimits,
  systemClock,
  type Clock,
  type FdLimits,
  type Logger,
} from '../core/index.js';
import { ServicesState } from '../catalog/index.js';
import { chooseAdvertiseIp, loggableConfig, type LoadedConfig, type SidecarConfig } from '../config/index.js';
import type { MultiDiscovery } from '../discovery/index.js';
import { DockerHealthChecker, HealthMonitor, checkerFor } from '../health/index.js';
import { ListenerManager } from '../listeners/index.js';
import { ApiServer, loadApiTls, loadApiToken } from '../api/index.js';
import { LoadBalancer, NftablesFastpath, type ProxyStatus } from '../proxy/index.js';
import { METRICS_CONTENT_TYPE, SidecarMetrics } from '../metrics/index.js';
import { BroadcastScheduler, LocalServices, apiMembers, memberDetails } from '../replication/index.js';
import { startCluster, type ClusterParts } from './cluster.js';
import { buildDiscovery } from './discovery-factory.js';
import { withoutSuspectHosts } from './suspect-hosts.js';
import { loadBalancerOptions } from './load-balancer-options.js';
import { agentHostNames } from './agent-host-names.js';
import { changeLine, type ChangeLineContext } from './change-line.js';


/** The standard checkers, with `DockerHealth` answered from Docker discovery. */
function dockerAwareCheckers(dockerHealth: DockerHealthChecker): (type: string) => ReturnType<typeof checkerFor> {
  return (type) => (type === 'DockerHealth' ? dockerHealth : checkerFor(type));
}

export interface DaemonOptions {
  readonly loaded: LoadedConfig;
  /** The environment Docker's DOCKER_HOST & co. are read from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * The composition root: builds every part of one agent from its config, wires them and
 * starts and stops them in order. Nothing else constructs subsystems.
 */
export class Daemon {
  private readonly config: SidecarConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly disposables = new DisposableStore();
  private closers: Array<() => Promise<void>> = [];
  private servicesState: ServicesState | undefined;
  private api: ApiServer | undefined;
  private closing: Promise<void> | undefined;
  private cluster: ClusterParts | undefined;
  /** Hosts a peer currently suspects (their instances are routed around). */
  private readonly suspectHosts = new Set<string>();
  /** The open-files limits, read once: the API's and the load balancer's shares come from them. */
  private fdLimits: FdLimits | undefined;

  constructor(private readonly options: DaemonOptions) {
    this.config = options.loaded.config;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger;
  }

  /** The state (for tests and embedding). Throws before start(). */
  get state(): ServicesState {
    if (this.servicesState === undefined) throw new BugError('daemon not started');
    return this.servicesState;
  }

  /** Where the HTTP API listens. */
  apiAddress(): { host: string; port: number } {
    if (this.api === undefined) throw new BugError('daemon not started');
    return this.api.address();
  }

  async start(): Promise<void> {
    const { config, clock, log } = this;
    this.fdLimits = readFdLimits();
    this.logConfig();
    const advertise = chooseAdvertiseIp(config.advertiseIp, config.excludeIps);
    if (advertise.source === 'loopback') {
      log.warn(
        'No private IPv4 address found: advertising 127.0.0.1, so only agents on this machine can reach this one. ' +
          'Set --advertise-ip (SIDECAR_ADVERTISE_IP) to run on a network.',
      );
    }

    const stamps = new TimestampSource(clock);
    const state = new ServicesState({
      hostname: config.hostname,
      clusterName: config.clusterName,
      clock,
      stamps,
      logger: log.child({ component: 'state' }),
    });
    this.servicesState = state;
    const scheduler = new BroadcastScheduler(clock, (svc) => state.json.serviceText(svc));
    this.closers.push(async () => {
      scheduler.close();
      state.close();
    });

    const { discovery, notes, docker } = buildDiscovery(config, advertise.ip, clock, log, this.options.env ?? process.env);
    await discovery.start();
    this.closers.push(() => discovery.close());

    const health = new HealthMonitor({
      clock,
      logger: log.child({ component: 'health' }),
      advertiseIp: advertise.ip,
      defaultCheckEndpoint: config.defaultCheckEndpoint,
      riseCount: config.healthRise,
      fallCount: config.healthFall,
      ...(docker === null ? {} : { checkerFor: dockerAwareCheckers(new DockerHealthChecker((id) => docker.dockerHealthStatus(id))) }),
    });
    this.closers.push(() => health.close());

    const listeners = new ListenerManager({
      hostname: config.hostname,
      clock,
      logger: log.child({ component: 'listeners' }),
      staticUrls: config.listenerUrls,
      body: (event) => state.json.stateChangedEvent(event),
    });
    this.closers.push(() => listeners.close());
    this.disposables.add(state.onDidChangeService((event) => listeners.notify(event)));
    const changeContext: ChangeLineContext = { hostname: config.hostname, healthReason: (id) => health.reasonFor(id) };
    this.disposables.add(
      state.onDidChangeService((event) => {
        const line = changeLine(event, changeContext);
        this.log[line.level](line.fields, line.msg);
      }),
    );

    // The one owner of this host's services: discovery changes and health results are
    // stamped, merged and announced when they happen; it also feeds health the list.
    const local = new LocalServices({
      state,
      stamps,
      scheduler,
      clock,
      logger: log.child({ component: 'local' }),
      discovery,
      health: {
        // A source that knows a service's status itself (Kubernetes readiness) overrides its check.
        statusOf: (id) => discovery.statusOf(id) ?? health.statusOf(id),
        onDidChangeStatus: health.onDidChangeStatus,
        track: (services) => health.sync(services, (svc) => discovery.healthCheck(svc)),
      },
    });
    this.disposables.add(local);
    // Discovered listeners change only with discovery (the Go Sidecar looked every second).
    this.disposables.add(discovery.onDidChange(this.coalesced(() => listeners.sync(discovery.listeners()))));

    const balancer = config.proxyDisabled ? undefined : this.startLoadBalancer(state);
    const lb = balancer?.lb;

    const cluster: ClusterParts = await startCluster(config, state, scheduler, advertise.ip, clock, log);
    this.closers.push(() => cluster.close());
    this.cluster = cluster;
    this.disposables.add(cluster.ownRecordDisputes(({ ours, theirs }) => local.peerKeptDrain(ours, theirs)));
    this.disposables.add(
      cluster.memberlist.onDidChangeState((m) => {
        const was = this.suspectHosts.has(m.name);
        if (m.state === 'suspect') this.suspectHosts.add(m.name);
        else this.suspectHosts.delete(m.name);
        if (was !== this.suspectHosts.has(m.name)) balancer?.refresh();
      }),
    );

    // Read before anything listens, so a bad token file or certificate stops start-up.
    const apiToken = loadApiToken(config.apiToken, config.apiTokenFile);
    const apiTls = loadApiTls(config.apiTlsCert, config.apiTlsKey);
    const maxConnections = apiMaxConnections(config.apiMaxConnections, this.fdLimits);
    log.info(
      { token: apiToken.source, tls: apiTls !== undefined, maxConnections, fdLimit: this.fdLimits?.soft ?? 'unknown' },
      apiToken.token === undefined
        ? 'API mutations accepted from loopback peers only (no API token set)'
        : `API mutations need the API token (set from ${apiToken.source})`,
    );
    const metrics = new SidecarMetrics({
      state,
      ...(lb === undefined ? {} : { proxy: lb }),
      gossip: cluster.memberlist,
      health,
      listeners,
      replication: () => cluster.replicationStats(),
      nowMs: () => clock.nowMs(),
    });
    this.api = new ApiServer({
      host: config.httpBind,
      port: config.httpPort,
      state,
      members: () => apiMembers(cluster.memberlist.liveMembers()),
      memberDetails: () => memberDetails(cluster.memberlist.members()),
      ui: {
        memberChanges: (listener) => cluster.memberlist.onDidChangeState((m) => listener({ name: m.name, state: m.state })),
        checks: () => health.describe(),
        checksVersion: () => health.resultsVersion,
        ...(balancer === undefined ? {} : { proxyStatus: balancer.describeForUi }),
      },
      drain: (id) => local.drain(id),
      undrain: (id) => local.undrain(id),
      maintenance: { isOn: () => local.inMaintenance, set: (on) => local.setMaintenance(on) },
      ...(apiToken.token === undefined ? {} : { token: apiToken.token }),
      ...(apiTls === undefined ? {} : { tls: apiTls }),
      hostNames: agentHostNames(config, advertise.ip),
      maxConnections,
      maxWatchers: config.apiMaxWatchers,
      watchMaxBufferBytes: config.apiWatchMaxBufferBytes,
      watchStallTimeoutMs: config.apiWatchStallTimeoutMs,
      ...(balancer === undefined ? {} : { proxyStatus: balancer.describe }),
      metrics: { contentType: METRICS_CONTENT_TYPE, scrape: () => metrics.scrape() },
      logger: log.child({ component: 'api' }),
      clock,
    });
    await this.api.start();
    this.closers.push(() => this.api?.close() ?? Promise.resolve());

    listeners.start();
    listeners.sync(discovery.listeners());
    // Health learns the services before its rounds start, so their first checks come with
    // the first (spread) round rather than all at once.
    local.start();
    health.start();

    this.logStartSummary(discovery, docker === null ? notes : [docker.statusSummary(), ...notes], advertise.ip);
  }

  /** Stops everything, newest first; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.disposables.dispose();
      for (const close of this.closers.splice(0).reverse()) {
        try {
          await close();
        } catch (err) {
          this.log.warn({ err }, 'error while shutting down');
        }
      }
    })();
    return this.closing;
  }

  /**
   * Keeps the load balancer's routes in step with the state: one rebuild per burst of
   * change events (coalesced to the next timer turn), never more than one in flight.
   */
  private startLoadBalancer(state: ServicesState): {
    lb: LoadBalancer;
    refresh: () => void;
    describe: () => Promise<ProxyStatus>;
    describeForUi: () => Promise<ProxyStatus>;
  } {
    const lb = new LoadBalancer(loadBalancerOptions(this.config, this.fdLimits, this.log.child({ component: 'proxy' }), this.clock));
    this.closers.push(() => lb.close());
    // The kernel fast path follows the balancer's routing table; the balancer stays bound
    // behind it on every port (a port with no ALIVE endpoint still answers, and closes).
    // Closed before the balancer (closers run in reverse): its table goes first.
    const fastpath = this.startTcpFastpath();
    let running: Promise<void> = Promise.resolve();
    const schedule = this.coalesced(() => {
      const records = [...state.servers.values()].flatMap((server) => [...server.services.values()]);
      const routable = withoutSuspectHosts(records, this.suspectHosts);
      running = running.then(async () => {
        await lb.update(routable);
        await fastpath?.apply(lb.routingTable());
      });
    });
    this.disposables.add(state.onDidChangeService(schedule));
    this.closers.push(() => running);
    schedule();
    // `/api/proxy.json`: the balancer's view, and the fast path's when it was asked for, with the
    // kernel's rules read back. The UI's feed (a snapshot a second while a page is open) shows
    // no rules: it gets the fast path's status without them, so an open page runs no nft.
    const describe = async (): Promise<ProxyStatus> => {
      const status = await lb.describe();
      return fastpath === undefined ? status : { ...status, fastpath: await fastpath.describe() };
    };
    const describeForUi = async (): Promise<ProxyStatus> => {
      const status = await lb.describe();
      return fastpath === undefined ? status : { ...status, fastpath: fastpath.status() };
    };
    return { lb, refresh: schedule, describe, describeForUi };
  }

  /** `--proxy-tcp-fastpath nftables`: the agent's nftables table, checked and cleaned at start, removed at close. */
  private startTcpFastpath(): NftablesFastpath | undefined {
    if (this.config.proxyTcpFastpath !== 'nftables') return undefined;
    const fastpath = new NftablesFastpath({ bindIp: this.config.proxyBindIp, logger: this.log.child({ component: 'fastpath' }) });
    void fastpath.start();
    this.closers.push(() => fastpath.close());
    return fastpath;
  }

  /**
   * `fn` wrapped to run once on the next timer turn however often it is called before then
   * (a burst of events costs one run), and never after the daemon closed.
   */
  private coalesced(fn: () => void): () => void {
    let queued = false;
    return () => {
      if (queued) return;
      queued = true;
      this.clock.setTimeout(() => {
        queued = false;
        if (!this.disposables.isDisposed) fn();
      }, 0);
    };
  }

  private logConfig(): void {
    const { config } = this;
    const origins = this.options.loaded.origins;
    const effective = loggableConfig(config);
    const fromUser = Object.entries(origins)
      .filter(([, origin]) => origin !== 'default')
      .map(([k, origin]) => `${k} from ${origin}`);
    this.log.info({ config: effective, set: fromUser }, 'Effective configuration');
    for (const warning of this.options.loaded.warnings) this.log.warn(warning);
  }

  private logStartSummary(discovery: MultiDiscovery, notes: readonly string[], advertiseIp: string): void {
    const services = discovery.services();
    const names = [...new Set(services.map((s) => s.name))].sort();
    const address = this.apiAddress();
    const found =
      services.length === 0
        ? 'discovered no services'
        : `discovered ${services.length} service instance${services.length === 1 ? '' : 's'} (${names.join(', ')})`;
    const extra = notes.length > 0 ? `; ${notes.join('; ')}` : '';
    const others = (this.cluster?.memberlist.numMembers ?? 1) - 1;
    const company = this.config.seeds.length === 0 ? 'alone' : others > 0 ? `with ${others} other member${others === 1 ? '' : 's'}` : `joining ${this.config.seeds.join(', ')}`;
    const gossip = this.cluster === undefined ? '' : ` gossip on ${advertiseIp}:${this.cluster.memberlist.localPort}${this.config.encryptKeys.length > 0 ? ' (encrypted)' : ''},`;
    this.log.info(
      { node: process.version },
      `Sidecar ${this.config.hostname} on Node ${process.version} running ${company} in cluster "${this.config.clusterName}", advertising ${advertiseIp}:${gossip} ` +
        `${found}${extra}. API on ${this.config.apiTlsCert === '' ? 'http' : 'https'}://${address.host === '0.0.0.0' ? '127.0.0.1' : address.host}:${address.port}/api/services.json`,
    );
  }
}
