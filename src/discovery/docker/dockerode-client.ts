import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { errorMessage } from '../../core/index.js';
import { WATCHED_EVENTS, type DockerClient, type EventHandlers, type EventSubscription } from './docker-client.js';
import type { DockerEndpoint } from './docker-endpoint.js';
import type { ContainerDetails, ContainerSummary, DockerEvent } from './docker-types.js';
import { JsonLineSplitter } from './event-lines.js';

export interface DockerodeClientOptions {
  /**
   * Longest wait for one request (ping, list, inspect, opening the event stream), in ms.
   * Default 5000: an Engine answers these in milliseconds; a hung one must not stall the
   * poll, whose 80 s staleness limit is far longer.
   */
  readonly requestTimeoutMs?: number;
  /** Told about event-stream lines that are not JSON (never expected from a real Engine). */
  readonly onBadEventLine?: (line: string) => void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/**
 * {@link DockerClient} on `dockerode`. Construction does nothing; the dockerode instance
 * (and, for TLS, the certificate files) is made at the first call.
 */
export class DockerodeClient implements DockerClient {
  readonly endpoint: string;
  private docker: Dockerode | null = null;
  private readonly timeoutMs: number;
  private readonly subscriptions = new Set<EventSubscription>();

  constructor(
    private readonly target: DockerEndpoint,
    private readonly options: DockerodeClientOptions = {},
  ) {
    this.endpoint = target.url;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async ping(): Promise<void> {
    // dockerode passes abortSignal through for ping, though its types do not say so.
    const ping = this.api().ping.bind(this.api()) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
  }

  async listContainers(): Promise<readonly ContainerSummary[]> {
    return await this.api().listContainers({ all: false, abortSignal: AbortSignal.timeout(this.timeoutMs) });
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    return await this.api().getContainer(id).inspect({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
  }

  async subscribe(handlers: EventHandlers): Promise<EventSubscription> {
    const controller = new AbortController();
    const opening = setTimeout(() => controller.abort(new Error(`no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
    let stream: NodeJS.ReadableStream;
    try {
      const options = {
        filters: { type: ['container'], event: [...WATCHED_EVENTS] },
        abortSignal: controller.signal,
      } as Dockerode.GetEventsOptions; // abortSignal is honoured by dockerode but missing from its types
      stream = await this.api().getEvents(options);
    } finally {
      clearTimeout(opening);
    }
    let open = true;
    const finish = (err: Error | null): void => {
      if (!open) return;
      open = false;
      this.subscriptions.delete(subscription);
      handlers.onClose(err);
    };
    const splitter = new JsonLineSplitter(
      (doc) => {
        if (open && doc !== null && typeof doc === 'object') handlers.onEvent(doc as DockerEvent);
      },
      (line) => this.options.onBadEventLine?.(line),
    );
    // 'error' must always have a listener: an unhandled one would crash the process.
    stream.on('error', (err: unknown) => finish(err instanceof Error ? err : new Error(errorMessage(err))));
    stream.on('data', (chunk: Buffer | string) => splitter.push(chunk));
    stream.on('end', () => {
      splitter.end();
      finish(new Error('the Engine ended the event stream'));
    });
    stream.on('close', () => finish(new Error('the event stream was closed')));
    const subscription: EventSubscription = {
      close: () => {
        if (!open) return;
        open = false;
        this.subscriptions.delete(subscription);
        controller.abort();
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  close(): void {
    for (const s of [...this.subscriptions]) s.close();
    const agent = (this.docker?.modem as { agent?: { destroy?: () => void } } | undefined)?.agent;
    agent?.destroy?.();
  }

  private api(): Dockerode {
    if (this.docker !== null) return this.docker;
    const t = this.target;
    if (t.kind === 'unix') {
      this.docker = new Dockerode({ socketPath: t.socketPath });
    } else {
      const tls =
        t.protocol === 'https' && t.certPath !== null
          ? {
              ca: readFileSync(join(t.certPath, 'ca.pem')),
              cert: readFileSync(join(t.certPath, 'cert.pem')),
              key: readFileSync(join(t.certPath, 'key.pem')),
            }
          : {};
      this.docker = new Dockerode({ host: t.host, port: t.port, protocol: t.protocol, ...tls });
    }
    return this.docker;
  }
}
