import { Backoff, errorMessage, type Clock, type Logger, type TimerHandle } from '../../core/index.js';
import type { DockerClient, EventSubscription } from './docker-client.js';
import { toHealthStatus, type DockerEvent, type DockerHealthStatus } from './docker-types.js';

/** What the event stream tells {@link DockerDiscovery} (which owns the containers). */
export interface DockerEventsOwner {
  /** Where the Engine is, for log lines. */
  readonly endpoint: string;
  /** A `start` event: inspect the container and add it. */
  containerStarted(fullId: string, id: string): void;
  /**
   * A `die` / `stop`, or a `kill` with a terminating signal (`terminating` true: the
   * container may still run for its grace period): remove it now.
   */
  containerStopped(id: string, action: string, terminating: boolean): void;
  /** A `health_status` event. */
  healthChanged(id: string, status: DockerHealthStatus): void;
  /** The stream opened or was lost: list the containers again to catch what it missed. */
  resync(): void;
}

export interface DockerEventStreamOptions {
  readonly client: DockerClient;
  readonly owner: DockerEventsOwner;
  readonly clock: Clock;
  readonly logger: Logger;
  /** First delay before reopening a lost stream, in ms; doubles on each failure. */
  readonly reconnectMinMs: number;
  /** Longest delay between attempts to reopen the stream, in ms. */
  readonly reconnectMaxMs: number;
}

/** Signals after which a `kill` means the container is going away (`docker stop`, `docker kill`). */
const TERMINATING_SIGNALS = new Set(['', '2', '3', '9', '15', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGTERM', 'INT', 'QUIT', 'KILL', 'TERM']);

/**
 * The Docker Engine's container event stream, kept open: reopened with back-off when it is
 * lost (and at once when the owner sees the Engine answer again), each event turned into a
 * call on the {@link DockerEventsOwner}.
 */
export class DockerEventStream {
  private subscription: EventSubscription | null = null;
  private connecting = false;
  private reconnectTimer: TimerHandle | null = null;
  private readonly backoff: Backoff;
  private lost = false;
  private closed = false;

  constructor(private readonly options: DockerEventStreamOptions) {
    this.backoff = new Backoff({ initialMs: options.reconnectMinMs, maxMs: options.reconnectMaxMs });
  }

  /** Opens the stream (no-op while open or opening). */
  open(): void {
    void this.connect();
  }

  /** After an outage: reopens the stream at once rather than at the end of its back-off. */
  reopenNow(): void {
    if (this.subscription !== null || this.connecting || this.closed) return;
    if (this.reconnectTimer !== null) this.options.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    void this.connect();
  }

  /** Idempotent. */
  close(): void {
    this.closed = true;
    if (this.reconnectTimer !== null) this.options.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.subscription?.close();
    this.subscription = null;
  }

  private async connect(): Promise<void> {
    if (this.closed || this.subscription !== null || this.connecting) return;
    this.connecting = true;
    let sub: EventSubscription;
    try {
      sub = await this.options.client.subscribe({
        onEvent: (event) => this.onEvent(event),
        onClose: (err) => this.onClosed(sub, err),
      });
    } catch (err) {
      this.connecting = false;
      this.options.logger.debug({ err: errorMessage(err), retryInMs: this.backoff.peekMs }, 'Could not open the Docker event stream');
      this.scheduleReconnect();
      return;
    }
    this.connecting = false;
    if (this.closed) {
      sub.close();
      return;
    }
    this.subscription = sub;
    this.backoff.reset();
    if (this.lost) this.options.logger.info({ endpoint: this.options.owner.endpoint }, 'Docker event stream reopened');
    this.lost = false;
    this.options.owner.resync(); // whatever happened while the stream was closed
  }

  private onClosed(sub: EventSubscription, err: Error | null): void {
    if (this.subscription !== sub) return;
    this.subscription = null;
    if (this.closed) return;
    if (!this.lost) {
      this.options.logger.info(
        { endpoint: this.options.owner.endpoint, reason: err === null ? 'ended' : err.message },
        'Docker event stream lost; reopening it',
      );
    }
    this.lost = true;
    this.options.owner.resync();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.backoff.next());
  }

  private onEvent(event: DockerEvent): void {
    if (this.closed || (event.Type !== undefined && event.Type !== 'container')) return;
    const fullId = event.Actor?.ID ?? event.id ?? '';
    if (fullId.length < 12) return;
    const id = fullId.slice(0, 12);
    const action = event.Action ?? event.status ?? '';
    const owner = this.options.owner;
    if (action.startsWith('health_status')) {
      const status = toHealthStatus(action.slice(action.indexOf(':') + 1).trim());
      if (status !== undefined) owner.healthChanged(id, status);
      return;
    }
    switch (action) {
      case 'start':
        owner.containerStarted(fullId, id);
        return;
      case 'kill': {
        const signal = event.Actor?.Attributes?.['signal'] ?? '';
        if (!TERMINATING_SIGNALS.has(signal.toUpperCase())) return; // HUP, USR1…: a reload, not a stop
        owner.containerStopped(id, action, true);
        return;
      }
      case 'die':
      case 'stop':
        owner.containerStopped(id, action, false);
        return;
      default:
        return;
    }
  }
}
