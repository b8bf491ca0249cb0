import { request, type ClientRequest } from 'node:http';
import { Backoff, JsonStreamSplitter, errorMessage, type Clock, type Logger, type TimerHandle } from '../../core/index.js';
import { parseState, type Service } from '../../catalog/index.js';

export interface WatchFollowerOptions {
  /** `host:port` of a Sidecar's HTTP API. */
  readonly target: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called with every record of each state document received. */
  readonly onState: (services: Service[]) => void;
  /** First reconnect delay; doubles up to {@link maxBackoffMs}. Default 500 ms. */
  readonly minBackoffMs?: number;
  /** Default 10 000 ms. */
  readonly maxBackoffMs?: number;
  /**
   * The stream is reopened this often even when healthy (haproxy-api does every 3 min), so a
   * connection that died silently is noticed. Default 180 000 ms.
   */
  readonly refreshMs?: number;
}

/**
 * Follows a Sidecar's `/api/watch?by_service=false` stream (what haproxy-api's follow mode
 * did for HAProxy): each document is the full state. While the agent is away (restart,
 * upgrade) it keeps retrying with back-off and the caller keeps its last routes.
 */
export class WatchFollower {
  private req: ClientRequest | undefined;
  private timer: TimerHandle | undefined;
  private readonly backoff: Backoff;
  private closed = false;
  private connectedOnce = false;
  private outageLogged = false;
  private documents = 0;

  constructor(private readonly options: WatchFollowerOptions) {
    this.backoff = new Backoff({ initialMs: options.minBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 10_000 });
  }

  start(): void {
    this.connect();
  }

  /** Documents received so far (all connections). */
  get received(): number {
    return this.documents;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.req?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const { target, logger } = this.options;
    const url = `http://${target}/api/watch?by_service=false`;
    const splitter = new JsonStreamSplitter();
    let gotDocument = false;
    const req = request(url, { method: 'GET' }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        this.retry(`HTTP ${res.statusCode ?? '?'} from ${url}`);
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        try {
          for (const doc of splitter.push(chunk)) {
            this.options.onState(parseState(doc).services);
            this.documents++;
            if (!gotDocument) {
              gotDocument = true;
              this.backoff.reset();
              if (!this.connectedOnce || this.outageLogged) logger.info({ target }, 'Following the Sidecar state stream');
              this.connectedOnce = true;
              this.outageLogged = false;
              this.scheduleRefresh(req);
            }
          }
        } catch (err) {
          req.destroy();
          this.retry(`bad document from ${url}: ${errorMessage(err)}`);
        }
      });
      res.on('end', () => this.retry(`${url} ended the stream`));
      res.on('error', (err) => this.retry(errorMessage(err)));
    });
    req.on('socket', (socket) => socket.setKeepAlive(true, 10_000));
    req.on('error', (err) => this.retry(`${url}: ${errorMessage(err)}`));
    req.end();
    this.req = req;
  }

  private scheduleRefresh(req: ClientRequest): void {
    const refreshMs = this.options.refreshMs ?? 180_000;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.req !== req || this.closed) return;
      this.req = undefined;
      req.destroy();
      this.connect();
    }, refreshMs);
  }

  private retry(reason: string): void {
    if (this.closed || this.req === undefined) return;
    this.req.destroy();
    this.req = undefined;
    if (!this.outageLogged) {
      this.options.logger.warn({ target: this.options.target, reason }, 'Lost the Sidecar state stream; keeping the last routes and retrying');
      this.outageLogged = true;
    }
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, this.backoff.next());
  }
}
