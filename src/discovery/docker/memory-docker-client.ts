import type { DockerClient, EventHandlers, EventSubscription } from './docker-client.js';
import {
  summaryFromDetails,
  type ContainerDetails,
  type ContainerSummary,
  type DockerEvent,
  type DockerHealthStatus,
} from './docker-types.js';

interface Held {
  details: ContainerDetails;
  /** A recorded list entry; when null the entry is derived from `details`. */
  summary: ContainerSummary | null;
}

interface Subscriber {
  readonly handlers: EventHandlers;
  open: boolean;
}

/**
 * A Docker Engine in memory, for tests and simulations: it holds running containers (as
 * inspect documents, optionally with recorded list entries), answers the {@link DockerClient}
 * calls asynchronously, sends the events the real Engine sends (`docker stop` is `kill`,
 * `die`, `stop`), and can go away and come back like a restarted dockerd.
 */
export class MemoryDockerClient implements DockerClient {
  /** Calls made, for assertions. */
  readonly calls = { ping: 0, list: 0, inspect: 0, subscribe: 0 };
  private readonly containers = new Map<string, Held>();
  private readonly subscribers = new Set<Subscriber>();
  private downError: Error | null = null;
  private refuseEvents: Error | null = null;

  constructor(readonly endpoint = 'memory://docker') {}

  /** Open event streams. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** A running container that was there before (no event). */
  add(details: ContainerDetails, summary: ContainerSummary | null = null): void {
    this.containers.set(details.Id, { details: withRunning(details, true), summary });
  }

  /** A container that starts now: added, then a `start` event. */
  start(details: ContainerDetails, summary: ContainerSummary | null = null): void {
    this.add(details, summary);
    this.emit(eventFor(details, 'start'));
  }

  /** `docker stop`: the container goes, with the Engine's `kill` (15), `die`, `stop` events. */
  stop(id: string): void {
    const held = this.find(id);
    if (held === undefined) return;
    this.containers.delete(held.details.Id);
    this.emit(eventFor(held.details, 'kill', { signal: '15' }));
    this.emit(eventFor(held.details, 'die', { exitCode: '0' }));
    this.emit(eventFor(held.details, 'stop'));
  }

  /** `docker kill -s <signal>`: a `kill` event; the container goes (with `die`) unless the signal is HUP/USR1/USR2. */
  kill(id: string, signal = '9'): void {
    const held = this.find(id);
    if (held === undefined) return;
    this.emit(eventFor(held.details, 'kill', { signal }));
    if (['1', '10', '12', 'HUP', 'USR1', 'USR2'].includes(signal)) return;
    this.containers.delete(held.details.Id);
    this.emit(eventFor(held.details, 'die', { exitCode: '137' }));
  }

  /** The container disappears without any event (an event missed while the stream was down). */
  vanish(id: string): void {
    const held = this.find(id);
    if (held !== undefined) this.containers.delete(held.details.Id);
  }

  /** Docker's HEALTHCHECK status changes: the inspect document, the list text and a `health_status` event. */
  setHealth(id: string, status: DockerHealthStatus): void {
    const held = this.find(id);
    if (held === undefined) return;
    const d = held.details;
    held.details = { ...d, State: { ...(d.State ?? {}), Running: true, Health: { Status: status } } };
    if (held.summary !== null) {
      const text = status === 'starting' ? '(health: starting)' : `(${status})`;
      held.summary = { ...held.summary, Status: `Up 1 second ${text}` };
    }
    this.emit(eventFor(held.details, `health_status: ${status}`));
  }

  /** Sends one event to every open stream. */
  emit(event: DockerEvent): void {
    for (const s of [...this.subscribers]) if (s.open) s.handlers.onEvent(event);
  }

  /** The Engine stops answering: every call rejects and the open event streams end with an error. */
  goDown(message = 'connect ENOENT /var/run/docker.sock'): void {
    this.downError = new Error(message);
    for (const s of [...this.subscribers]) this.end(s, new Error('socket hang up'));
  }

  /** The Engine answers again. */
  comeBack(): void {
    this.downError = null;
  }

  /** While set, opening the event stream fails (the rest works). */
  setEventsRefused(message: string | null): void {
    this.refuseEvents = message === null ? null : new Error(message);
  }

  async ping(): Promise<void> {
    this.calls.ping++;
    await this.answer();
  }

  async listContainers(): Promise<readonly ContainerSummary[]> {
    this.calls.list++;
    await this.answer();
    return [...this.containers.values()].map((h) => h.summary ?? summaryFromDetails(h.details));
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    this.calls.inspect++;
    await this.answer();
    const held = this.find(id);
    if (held === undefined) throw new Error(`(HTTP code 404) no such container - No such container: ${id}`);
    return held.details;
  }

  async subscribe(handlers: EventHandlers): Promise<EventSubscription> {
    this.calls.subscribe++;
    await this.answer();
    if (this.refuseEvents !== null) throw this.refuseEvents;
    const sub: Subscriber = { handlers, open: true };
    this.subscribers.add(sub);
    return {
      close: () => {
        sub.open = false;
        this.subscribers.delete(sub);
      },
    };
  }

  close(): void {
    for (const s of [...this.subscribers]) s.open = false;
    this.subscribers.clear();
  }

  private async answer(): Promise<void> {
    await Promise.resolve();
    if (this.downError !== null) throw this.downError;
  }

  private end(sub: Subscriber, err: Error): void {
    if (!sub.open) return;
    sub.open = false;
    this.subscribers.delete(sub);
    sub.handlers.onClose(err);
  }

  private find(id: string): Held | undefined {
    for (const [full, held] of this.containers) if (full.startsWith(id)) return held;
    return undefined;
  }
}

function withRunning(d: ContainerDetails, running: boolean): ContainerDetails {
  return { ...d, State: { ...(d.State ?? {}), Running: running } };
}

/** An event shaped like the Engine's (API 1.41). */
function eventFor(d: ContainerDetails, action: string, extra: Record<string, string> = {}): DockerEvent {
  const attributes = { ...(d.Config?.Labels ?? {}), image: d.Config?.Image ?? '', name: (d.Name ?? '').replace(/^\//, ''), ...extra };
  return { status: action, id: d.Id, Type: 'container', Action: action, Actor: { ID: d.Id, Attributes: attributes } };
}
