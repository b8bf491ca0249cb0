import type { ContainerDetails, ContainerSummary, DockerEvent } from './docker-types.js';

/** An open `/events` stream; `close()` ends it without calling `onClose`. Idempotent. */
export interface EventSubscription {
  close(): void;
}

export interface EventHandlers {
  /** Each event, in order. */
  onEvent(event: DockerEvent): void;
  /** The stream ended on its own (Engine stopped, socket gone): `err` says why, null for a clean end. */
  onClose(err: Error | null): void;
}

/**
 * The few Docker Engine calls discovery makes. {@link DockerodeClient} talks to a real
 * Engine; {@link MemoryDockerClient} is an Engine in memory for tests. Every call rejects
 * (never hangs past its timeout) when the Engine cannot be reached.
 */
export interface DockerClient {
  /** Where the Engine is, for log lines (`unix:///var/run/docker.sock`). */
  readonly endpoint: string;
  ping(): Promise<void>;
  /** Running containers (`GET /containers/json`, `all=false`). */
  listContainers(): Promise<readonly ContainerSummary[]>;
  /** `GET /containers/{id}/json`. */
  inspectContainer(id: string): Promise<ContainerDetails>;
  /** Opens the container event stream; resolves once the Engine has accepted it. */
  subscribe(handlers: EventHandlers): Promise<EventSubscription>;
  /** Releases pooled connections; idempotent. */
  close(): void;
}

/** The container events discovery listens to (`health_status` matches `health_status: …`). */
export const WATCHED_EVENTS = ['start', 'die', 'stop', 'kill', 'health_status'] as const;
