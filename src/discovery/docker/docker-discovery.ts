import { Emitter, ErrorCode, errorMessage, type Clock, type Event, type Logger, type TimerHandle } from '../../core/index.js';
import type { CheckSpec, Service } from '../../catalog/index.js';
import type { DiscoverySource, ListenerSpec } from '../source.js';
import { mapContainer, containerName, type MappedContainer } from './container-mapper.js';
import type { DockerClient } from './docker-client.js';
import { DockerEventStream, type DockerEventsOwner } from './docker-event-stream.js';
import { resolveDockerEndpoint } from './docker-endpoint.js';
import { DockerodeClient } from './dockerode-client.js';
import {
  healthFromStatusText,
  summaryFromDetails,
  toHealthStatus,
  type ContainerSummary,
  type DockerHealthStatus,
} from './docker-types.js';
import type { ServiceNamer } from './namer.js';

export interface DockerDiscoveryOptions {
  /** DOCKER_URL (`unix:///var/run/docker.sock`, `tcp://host:port`); `''` = DOCKER_HOST and friends from `env`. */
  readonly dockerUrl: string;
  /** Where DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH are read when `dockerUrl` is `''`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Node name: every service's `Hostname`. */
  readonly hostname: string;
  /** The `IP` of ports published on all addresses. */
  readonly advertiseIp: string;
  readonly namer: ServiceNamer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Time between container lists (the safety net behind events), in ms. Default 1000, the Go Sidecar's cadence. */
  readonly pollIntervalMs?: number;
  /**
   * Time without a successful list after which services() returns nothing, in ms. Default
   * 80 000 (the catalog's ALIVE lifespan): the daemon re-stamps whatever services() returns,
   * so without this limit the services of a dead Engine would live forever.
   */
  readonly staleAfterMs?: number;
  /** First delay before reopening a lost event stream, in ms; doubles on each failure. Default 500. */
  readonly reconnectMinMs?: number;
  /** Longest delay between attempts to reopen the event stream, in ms. Default 10 000. */
  readonly reconnectMaxMs?: number;
  /**
   * How long a container that got a `kill` with a terminating signal stays withdrawn while
   * it still runs, in ms. Default 30 000: longer than `docker stop`'s 10 s grace, so a
   * stopping container is not re-announced by a poll before its `die`.
   */
  readonly killGraceMs?: number;
  /** Longest wait for one Engine request, in ms. Default 5000 (see DockerodeClient). */
  readonly requestTimeoutMs?: number;
  /** The Engine client; default a DockerodeClient on `dockerUrl` (tests inject a MemoryDockerClient). */
  readonly client?: DockerClient;
}

/** What is known of one running container. */
interface Entry {
  readonly mapped: MappedContainer | null;
  /** Stable text of what the container announces, to tell a real change from a re-read. */
  readonly key: string;
}

/** Inspects run at once when many containers are new (start-up with 100 containers). */
const INSPECT_CONCURRENCY = 8;
// Longer than the ~400-line guideline on purpose: polls, the reactions to events and the
// reachability tracking share one set of sequence guards (touched/killed/entries) that must
// change together. The event stream itself (reconnects, parsing) is docker-event-stream.ts.

/**
 * Docker discovery: the running containers of one Docker Engine as services, like the Go
 * Sidecar's (see container-mapper.ts for the mapping, docs/labels.md for the labels).
 *
 * Beyond the Go Sidecar, which found new containers only by polling: a `start` event
 * inspects and adds the container at once, `die` / `stop` / `kill` remove it at once, and
 * every change fires {@link onDidChange}. The list every second stays as the safety net.
 * When the Engine goes away the event stream is reopened with back-off (0.5 s doubling to
 * 10 s, at once when a list succeeds again) and the last known services are kept until
 * `staleAfterMs` passes without a successful list; the outage and the recovery are logged
 * once each. A missing Engine never fails start().
 */
export class DockerDiscovery implements DiscoverySource, DockerEventsOwner {
  readonly name = 'docker';
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;

  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly staleAfterMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly killGraceMs: number;
  private client: DockerClient | null = null;
  endpoint: string;

  /** Running containers by 12-char ID (null mapping = opted out). */
  private entries = new Map<string, Entry>();
  private servicesView: readonly Service[] = [];
  private listenersView: readonly ListenerSpec[] = [];
  private checks = new Map<string, CheckSpec | null>();
  /** Inspect results by 12-char ID (`true` = has a Docker HEALTHCHECK), pruned to the live set. */
  private inspected = new Map<string, boolean>();
  private health = new Map<string, DockerHealthStatus>();
  /** Problems already logged, by container, so each is logged once. */
  private logged = new Map<string, Set<string>>();

  /** Bumped by every event that adds or removes a container. */
  private seq = 0;
  /** Last event sequence number per container: older lists and inspects do not undo it. */
  private touched = new Map<string, number>();
  /** Containers withdrawn by a `kill` that may still be running, until this time (ms). */
  private killed = new Map<string, number>();

  private pollTimer: TimerHandle | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private events: DockerEventStream | null = null;

  private lastListOkMs: number | null = null;
  private outageSinceMs: number | null = null;
  private withdrawn = false;
  private started = false;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: DockerDiscoveryOptions) {
    this.log = options.logger;
    this.clock = options.clock;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.staleAfterMs = options.staleAfterMs ?? 80_000;
    this.reconnectMinMs = options.reconnectMinMs ?? 500;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 10_000;
    this.killGraceMs = options.killGraceMs ?? 30_000;
    this.endpoint = options.client?.endpoint ?? (options.dockerUrl === '' ? 'DOCKER_HOST' : options.dockerUrl);
  }

  /**
   * Lists the containers once (without failing when the Engine is absent), then starts the
   * poll and the event stream. Rejects only when the Engine address is unusable
   * (SidecarError CONFIG_INVALID naming DOCKER_URL or DOCKER_HOST).
   */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.options.client !== undefined) {
      this.client = this.options.client;
    } else {
      const target = resolveDockerEndpoint(this.options.dockerUrl, this.options.env);
      this.endpoint = target.url;
      this.client = new DockerodeClient(target, {
        ...(this.options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: this.options.requestTimeoutMs }),
        onBadEventLine: (line) => this.log.warn({ line }, 'Ignoring a Docker event that is not JSON'),
      });
    }
    this.events = new DockerEventStream({
      client: this.client,
      owner: this,
      clock: this.clock,
      logger: this.log,
      reconnectMinMs: this.reconnectMinMs,
      reconnectMaxMs: this.reconnectMaxMs,
    });
    await this.pollNow();
    if (this.closed) return;
    this.pollTimer = this.clock.setInterval(() => this.requestPoll(), this.pollIntervalMs);
    this.events.open();
  }

  services(): readonly Service[] {
    return this.isStale() ? [] : this.servicesView;
  }

  healthCheck(svc: Service): CheckSpec | null {
    return this.checks.get(svc.id) ?? null;
  }

  listeners(): readonly ListenerSpec[] {
    return this.isStale() ? [] : this.listenersView;
  }

  /**
   * Docker's own health status of a container with a HEALTHCHECK (12-char or full ID), as
   * last inspected, listed or reported by a `health_status` event; undefined when unknown.
   * Backs the `DockerHealth` check.
   */
  /** One phrase for the agent's start-up summary. */
  statusSummary(): string {
    if (this.outageSinceMs !== null || this.lastListOkMs === null) return `docker: not reachable at ${this.endpoint} (will keep trying)`;
    return `docker: ${this.servicesView.length} services from ${this.entries.size} running containers at ${this.endpoint}`;
  }

  dockerHealthStatus(id: string): DockerHealthStatus | undefined {
    return this.health.get(id.slice(0, 12));
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    if (this.pollTimer !== null) this.clock.clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.events?.close();
    this.closing = (async () => {
      await this.polling;
      this.client?.close();
      this.changed.dispose();
    })();
    return this.closing;
  }

  private isStale(): boolean {
    return this.lastListOkMs !== null && this.clock.nowMs() - this.lastListOkMs > this.staleAfterMs;
  }

  // ---- polling ----

  /** Starts a poll, or asks the running one to go once more. */
  resync(): void {
    this.requestPoll();
  }

  private requestPoll(): void {
    if (this.closed) return;
    if (this.polling !== null) {
      this.pollAgain = true;
      return;
    }
    void this.pollNow();
  }

  private pollNow(): Promise<void> {
    this.polling = this.poll()
      .catch((err: unknown) => this.log.error({ code: ErrorCode.DOCKER_UNREACHABLE, err: errorMessage(err) }, 'Docker poll failed'))
      .finally(() => {
        this.polling = null;
        if (this.pollAgain && !this.closed) {
          this.pollAgain = false;
          void this.pollNow();
        }
      });
    return this.polling;
  }

  private async poll(): Promise<void> {
    const client = this.client;
    if (client === null) return;
    const startSeq = this.seq;
    let list: readonly ContainerSummary[];
    try {
      list = await client.listContainers();
    } catch (err) {
      this.noteFailure(err);
      this.checkStale();
      return;
    }
    const live = new Map<string, ContainerSummary>();
    for (const c of Array.isArray(list) ? list : []) {
      if (typeof c?.Id === 'string' && c.Id.length >= 12) live.set(c.Id.slice(0, 12), c);
    }
    await this.inspectNew(client, live);
    if (this.closed) return;
    this.noteSuccess(live.size);

    const now = this.clock.nowMs();
    const next = new Map<string, Entry>();
    for (const [id, c] of live) {
      if ((this.touched.get(id) ?? -1) > startSeq) continue; // an event after the list started decides
      const until = this.killed.get(id);
      if (until !== undefined && now < until) continue;
      this.killed.delete(id);
      const fromStatus = healthFromStatusText(c.Status);
      if (fromStatus !== undefined) this.health.set(id, fromStatus);
      const hasHealth = this.inspected.get(id);
      if (hasHealth === undefined) continue; // inspect failed: it has probably just stopped
      next.set(id, this.entryFor(id, c, hasHealth));
    }
    // Containers an event added or removed after the list started keep their current state.
    for (const [id, seq] of this.touched) {
      if (seq <= startSeq) {
        this.touched.delete(id);
        continue;
      }
      const current = this.entries.get(id);
      if (current === undefined) next.delete(id);
      else next.set(id, current);
    }
    for (const id of this.killed.keys()) if (!live.has(id)) this.killed.delete(id);
    for (const map of [this.inspected, this.health, this.logged]) {
      for (const id of map.keys()) if (!live.has(id) && !next.has(id)) map.delete(id);
    }
    this.install(next);
  }

  /** Inspects the containers not inspected yet, a few at a time. */
  private async inspectNew(client: DockerClient, live: ReadonlyMap<string, ContainerSummary>): Promise<void> {
    const todo = [...live.entries()].filter(([id]) => !this.inspected.has(id));
    const worker = async (): Promise<void> => {
      for (let job = todo.shift(); job !== undefined && !this.closed; job = todo.shift()) {
        const [id, c] = job;
        try {
          const d = await client.inspectContainer(c.Id);
          const status = toHealthStatus(d.State?.Health?.Status);
          this.inspected.set(id, d.State?.Health !== undefined && d.State.Health !== null);
          if (status !== undefined) this.health.set(id, status);
        } catch (err) {
          this.log.debug({ id, err: errorMessage(err) }, 'Could not inspect container; trying again at the next poll');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, todo.length) }, worker));
  }

  private entryFor(id: string, c: ContainerSummary, hasHealth: boolean): Entry {
    const mapped = mapContainer(c, this.options, hasHealth);
    if (mapped !== null) this.logProblems(id, mapped.problems);
    const key =
      mapped === null
        ? 'excluded'
        : JSON.stringify([
            mapped.service.name,
            mapped.service.image,
            String(mapped.service.created),
            mapped.service.ports,
            mapped.service.proxyMode,
            mapped.check,
            mapped.listener,
          ]);
    const old = this.entries.get(id);
    return old !== undefined && old.key === key ? old : { mapped, key };
  }

  private logProblems(id: string, problems: readonly string[]): void {
    if (problems.length === 0) return;
    let done = this.logged.get(id);
    if (done === undefined) this.logged.set(id, (done = new Set()));
    for (const p of problems) {
      if (done.has(p)) continue;
      done.add(p);
      this.log.warn({ id }, p);
    }
  }

  /** Makes `next` the current containers; fires onDidChange when anything announced changed. */
  private install(next: Map<string, Entry>): void {
    let changed = next.size !== this.entries.size;
    if (!changed) for (const [id, e] of next) if (this.entries.get(id) !== e) changed = true;
    this.entries = next;
    if (!changed) return;
    const mapped = [...next.values()].flatMap((e) => (e.mapped === null ? [] : [e.mapped]));
    this.servicesView = Object.freeze(mapped.map((m) => m.service));
    this.listenersView = Object.freeze(mapped.flatMap((m) => (m.listener === null ? [] : [m.listener])));
    this.checks = new Map(mapped.map((m) => [m.service.id, m.check]));
    if (!this.isStale()) this.changed.fire();
  }

  // ---- Engine reachability ----

  private noteFailure(err: unknown): void {
    if (this.outageSinceMs !== null) return;
    this.outageSinceMs = this.clock.nowMs();
    if (this.lastListOkMs === null) {
      this.log.warn({ code: ErrorCode.DOCKER_UNREACHABLE, endpoint: this.endpoint }, `Docker not reachable at ${this.endpoint}: ${errorMessage(err)}; will keep trying`);
    } else {
      this.log.warn(
        { code: ErrorCode.DOCKER_UNREACHABLE, endpoint: this.endpoint, kept: this.servicesView.length },
        `Docker not reachable at ${this.endpoint}: ${errorMessage(err)}; keeping the ${this.servicesView.length} last known services for up to ${Math.round(this.staleAfterMs / 1000)} s and will keep trying`,
      );
    }
  }

  private noteSuccess(containers: number): void {
    const wasWithdrawn = this.isStale();
    const recovered = this.outageSinceMs !== null;
    this.lastListOkMs = this.clock.nowMs();
    if (this.outageSinceMs !== null) {
      const seconds = ((this.clock.nowMs() - this.outageSinceMs) / 1000).toFixed(1);
      this.log.info({ endpoint: this.endpoint, containers }, `Docker reachable at ${this.endpoint} after ${seconds} s; resynced`);
      this.outageSinceMs = null;
    }
    this.withdrawn = false;
    if (wasWithdrawn) this.changed.fire();
    // After an outage the event stream is reopened at once rather than at the end of its back-off.
    if (recovered && !this.closed) this.events?.reopenNow();
  }

  private checkStale(): void {
    if (this.withdrawn || !this.isStale()) return;
    this.withdrawn = true;
    this.log.warn(
      { endpoint: this.endpoint, withdrawn: this.servicesView.length },
      `No answer from Docker for ${Math.round(this.staleAfterMs / 1000)} s: withdrawing its ${this.servicesView.length} services until it answers`,
    );
    this.changed.fire();
  }

  // ---- events (the stream is DockerEventStream; these are its calls) ----

  healthChanged(id: string, status: DockerHealthStatus): void {
    if (!this.closed) this.health.set(id, status);
  }

  containerStarted(fullId: string, id: string): void {
    if (!this.closed) void this.onStart(fullId, id);
  }

  containerStopped(id: string, action: string, terminating: boolean): void {
    if (this.closed) return;
    if (terminating) this.killed.set(id, this.clock.nowMs() + this.killGraceMs);
    else this.killed.delete(id);
    this.remove(id, action);
  }

  private remove(id: string, action: string): void {
    this.touched.set(id, ++this.seq);
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    const next = new Map(this.entries);
    next.delete(id);
    if (entry.mapped !== null) {
      this.log.info({ id, name: entry.mapped.service.name }, `Removing service on Docker '${action}' event`);
    }
    this.install(next);
  }

  private async onStart(fullId: string, id: string): Promise<void> {
    const mySeq = ++this.seq;
    this.touched.set(id, mySeq);
    this.killed.delete(id);
    const client = this.client;
    if (client === null) return;
    let summary: ContainerSummary;
    let hasHealth: boolean;
    try {
      const d = await client.inspectContainer(fullId);
      if (d.State?.Running !== true) return;
      summary = summaryFromDetails(d);
      hasHealth = d.State.Health !== undefined && d.State.Health !== null;
      const status = toHealthStatus(d.State.Health?.Status);
      if (status !== undefined) this.health.set(id, status);
    } catch (err) {
      this.log.debug({ id, err: errorMessage(err) }, 'Could not inspect a started container; the next poll will find it');
      return;
    }
    if (this.closed || this.touched.get(id) !== mySeq) return; // a later event decided
    this.inspected.set(id, hasHealth);
    const entry = this.entryFor(id, summary, hasHealth);
    if (entry.mapped !== null && !this.entries.has(id)) {
      this.log.info({ id, name: entry.mapped.service.name, container: containerName(summary) }, "Discovered container on Docker 'start' event");
    }
    const next = new Map(this.entries);
    next.set(id, entry);
    this.install(next);
  }
}
