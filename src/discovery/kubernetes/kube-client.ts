import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ErrorCode, SidecarError, type Clock, type TimerHandle } from '../../core/index.js';
import type { KubeConnection } from './kube-connection.js';
import { isRecord, type KubeStatus, type WatchEvent, type WatchEventType } from './kube-objects.js';

export interface KubeClientOptions {
  readonly connection: KubeConnection;
  readonly clock: Clock;
  /** Longest wait for a plain request (connect, headers and body), in ms. Default 3000 (Go's KUBE_TIMEOUT). */
  readonly timeoutMs?: number;
  /** Largest body of a list or get, in bytes. Default 64 MiB: a list of a node's pods or of labelled Services is far smaller; a bigger answer is refused before it is parsed. */
  readonly maxBodyBytes?: number;
  /** Largest line of a watch stream (one object), in bytes. Default 4 MiB: the API server refuses objects over 1.5 MiB. */
  readonly maxLineBytes?: number;
}

/** A non-2xx answer: the status and the API's `Status` reason (`Expired`, `Forbidden`…). */
export class KubeApiError extends SidecarError {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(status === 401 || status === 403 ? ErrorCode.KUBERNETES_DENIED : ErrorCode.KUBERNETES_UNREACHABLE, message);
  }
}

const VALID_EVENT_TYPES: ReadonlySet<string> = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * A thin Kubernetes API client on node:http / node:https: GET of JSON and watch streams of
 * newline-delimited `{"type","object"}` events. Every byte is bounded before it is parsed
 * (maxBodyBytes, maxLineBytes). A 401 re-reads the token file and retries once when the token
 * changed (projected service-account tokens rotate). Why not @kubernetes/client-node:
 * docs/kubernetes.md.
 */
export class KubeClient {
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly maxLineBytes: number;
  private readonly https: boolean;
  private closed = false;

  constructor(private readonly options: KubeClientOptions) {
    const c = options.connection;
    this.https = c.baseUrl.protocol === 'https:';
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 4 * 1024 * 1024;
    // One keep-alive agent: the watches and the odd list share a few connections.
    this.agent = this.https
      ? new HttpsAgent({
          keepAlive: true,
          // As the Go Sidecar: the API's CA is added to the system's roots.
          ...(c.ca === undefined ? {} : { ca: [...rootCertificates, c.ca.toString('utf8')] }),
          ...(c.cert === undefined || c.key === undefined ? {} : { cert: c.cert, key: c.key }),
          ...(c.insecureSkipTlsVerify === true ? { rejectUnauthorized: false } : {}),
        })
      : new HttpAgent({ keepAlive: true });
  }

  /** Closes the pooled connections; requests in flight are ended by their own signals. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
  }

  /** GET of a JSON document; throws KubeApiError on a non-2xx answer, SidecarError on the rest. */
  async getJson(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<unknown> {
    const res = await this.open(path, query, signal, this.timeoutMs, true);
    const body = await this.readBody(res, signal);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `GET ${path}: the answer is not JSON`);
    }
  }

  /**
   * Opens a watch and calls `onEvent` for each event until the server ends the stream
   * (resolves) or something fails (rejects: KubeApiError for a non-2xx answer, SidecarError
   * for a broken stream). `idleTimeoutMs` ends a stream that sends nothing at all for that long;
   * `onOpen` is called when the server has accepted the watch (2xx head).
   */
  async watch<T>(
    path: string,
    query: Readonly<Record<string, string>>,
    signal: AbortSignal,
    idleTimeoutMs: number,
    onEvent: (event: WatchEvent<T>) => void,
    onOpen?: () => void,
  ): Promise<void> {
    const res = await this.open(path, { ...query, watch: 'true' }, signal, this.timeoutMs, false);
    onOpen?.();
    await new Promise<void>((resolve, reject) => {
      const decoder = new TextDecoder('utf-8', { fatal: false });
      let pending = '';
      let pendingBytes = 0;
      let settled = false;
      let idle: TimerHandle | undefined;
      const { clock } = this.options;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        if (idle !== undefined) clock.clearTimeout(idle);
        signal.removeEventListener('abort', onAbort);
        if (err !== undefined) {
          res.destroy();
          reject(err);
        } else resolve();
      };
      const armIdle = (): void => {
        if (idle !== undefined) clock.clearTimeout(idle);
        idle = clock.setTimeout(() => finish(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `watch ${path}: nothing received for ${idleTimeoutMs} ms`)), idleTimeoutMs);
      };
      const onAbort = (): void => finish(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, 'aborted'));
      signal.addEventListener('abort', onAbort);
      armIdle();
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        armIdle();
        let start = 0;
        for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
          const line = pending + decoder.decode(chunk.subarray(start, nl));
          pending = '';
          pendingBytes = 0;
          start = nl + 1;
          if (line.trim() === '') continue;
          const event = parseEvent<T>(line);
          if (event === null) return finish(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `watch ${path}: a line is not a watch event`));
          try {
            onEvent(event);
          } catch (err) {
            return finish(err instanceof Error ? err : new Error(String(err)));
          }
          if (settled) return;
        }
        pendingBytes += chunk.length - start;
        if (pendingBytes > this.maxLineBytes) {
          return finish(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `watch ${path}: a line exceeds ${this.maxLineBytes} bytes`));
        }
        pending += decoder.decode(chunk.subarray(start), { stream: true });
      });
      res.on('end', () => finish());
      res.on('error', (err) => finish(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `watch ${path}: ${err.message}`, { cause: err })));
      res.on('close', () => finish(res.complete ? undefined : new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `watch ${path}: connection closed`)));
    });
  }

  /** Sends the GET (retried once with a re-read token after a 401) and returns a 2xx response. */
  private async open(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal, timeoutMs: number, bounded: boolean): Promise<IncomingMessage> {
    let res = await this.send(path, query, signal, timeoutMs, bounded);
    if (res.statusCode === 401 && this.options.connection.token.reload()) {
      res.resume();
      res = await this.send(path, query, signal, timeoutMs, bounded);
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    // An error body (a Status) is small and must come within the timeout, also for a watch.
    const { clock } = this.options;
    const timer = clock.setTimeout(() => res.destroy(), timeoutMs);
    const text = await this.readBody(res, signal, 64 * 1024).catch(() => '');
    clock.clearTimeout(timer);
    const st = statusOf(text);
    throw new KubeApiError(status, st.reason ?? '', `GET ${path}: ${status}${st.message === undefined ? '' : ` ${st.message}`}`);
  }

  /** One GET; resolves with the response head, or rejects on connection errors or the timeout. */
  private send(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal, timeoutMs: number, bounded: boolean): Promise<IncomingMessage> {
    const { connection, clock } = this.options;
    const url = new URL(connection.baseUrl.href);
    url.pathname = `${connection.baseUrl.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const token = connection.token.current();
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'sidecar-node' };
    if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal.aborted) return reject(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, 'aborted'));
      const req: ClientRequest = (this.https ? httpsRequest : httpRequest)(url, { method: 'GET', agent: this.agent, headers });
      let done = false;
      let response: IncomingMessage | undefined;
      const fail = (err: Error): void => {
        if (done) return;
        done = true;
        cleanup();
        req.destroy();
        reject(err instanceof SidecarError ? err : new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `GET ${path}: ${err.message}`, { cause: err }));
      };
      // After the head, the timeout and the signal end the body (readBody reports it).
      const stop = (err: SidecarError): void => (response === undefined ? fail(err) : void response.destroy(err));
      // A plain request gets the whole timeout (head and body); a watch only until its head.
      const timer = clock.setTimeout(() => stop(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `GET ${path}: no complete answer in ${timeoutMs} ms`)), timeoutMs);
      const onAbort = (): void => stop(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, 'aborted'));
      const cleanup = (): void => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort);
      req.on('error', fail);
      req.on('response', (res) => {
        if (done) return void res.destroy();
        done = true;
        response = res;
        if (bounded) res.once('close', cleanup);
        else cleanup();
        resolve(res);
      });
      req.end();
    });
  }

  /** The whole body, at most `maxBytes`; a bigger one is refused unparsed. */
  private readBody(res: IncomingMessage, signal: AbortSignal, maxBytes = this.maxBodyBytes): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        return reject(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `an answer of ${declared} bytes exceeds ${maxBytes}`));
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) {
          res.destroy();
          reject(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, `an answer exceeds ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => reject(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, err.message, { cause: err })));
      res.on('close', () => {
        if (!res.complete) reject(new SidecarError(ErrorCode.KUBERNETES_UNREACHABLE, signal.aborted ? 'aborted' : 'connection closed before the answer was complete'));
      });
    });
  }
}

function parseEvent<T>(line: string): WatchEvent<T> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(line) as unknown;
  } catch {
    return null;
  }
  if (!isRecord(doc) || typeof doc['type'] !== 'string' || !VALID_EVENT_TYPES.has(doc['type']) || !isRecord(doc['object'])) return null;
  return doc as unknown as WatchEvent<T>;
}

function statusOf(text: string): KubeStatus {
  try {
    const doc = JSON.parse(text) as unknown;
    return isRecord(doc) ? (doc as KubeStatus) : {};
  } catch {
    return {};
  }
}
