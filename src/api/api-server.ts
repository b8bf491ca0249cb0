import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { BugError, ErrorCode, SidecarError, msToTimestamp, type Clock, type Logger } from '../core/index.js';
import type { Service, ServicesState } from '../catalog/index.js';
import type { ProxyStatus } from '../proxy/index.js';
import type { ApiHandler, ApiMount, ApiRequest } from './api-request.js';
import { sendBareRedirect, sendBody, sendEmpty, sendMethodNotAllowed, sendNotFound, sendRedirect, sendTextError } from './http-replies.js';
import type { ApiTls } from './api-tls.js';
import { MutationGuard } from './mutation-guard.js';
import { metricsHandler, type MetricsEndpoint } from './metrics-handler.js';
import { answerClientError } from './client-error.js';
import { cleanPath, decodePath, escapePath, parseRequestTarget } from './request-target.js';
import { RouteTable, RouteVars } from './route-table.js';
import { serversPage } from './servers-page.js';
import { SidecarApi, type MaintenanceSwitch, type UndrainOutcome } from './sidecar-api.js';
import { localMemberDetail, type ApiMemberDetail } from './members-document.js';
import { StateDocuments, type ApiMember } from './state-documents.js';
import { uiRoute } from './ui-route.js';
import { OpsFeed, type OpsFeedSources } from './ops-feed.js';
import { DEFAULT_MAX_WATCHERS, DEFAULT_WATCH_MAX_BUFFER_BYTES, DEFAULT_WATCH_STALL_TIMEOUT_MS, WatchHub, type WatcherStats } from './watch-hub.js';

export interface ApiServerOptions {
  /** Bind address. Default `0.0.0.0`, where the Go Sidecar always listened. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 7777, the Go Sidecar's fixed port. */
  readonly port?: number;
  readonly state: ServicesState;
  /** The live cluster members (memberlist node names), for `ClusterMembers` and `/servers`. */
  readonly members: () => readonly ApiMember[];
  /**
   * Every known cluster member (alive, suspect, dead or left) with its address, state and
   * metadata, for `/api/members.json`. Leave out when the agent runs without a cluster: the
   * route then lists this node alone, alive since the server started.
   */
  readonly memberDetails?: () => readonly ApiMemberDetail[];
  /**
   * Sets a service of this host to DRAINING and returns it (as it was found), or returns
   * undefined when no service with that ID is on this host.
   */
  readonly drain: (id: string) => Service | undefined;
  /** Undoes a drain of a local instance (`POST /api/services/<id>/undrain`); leave out: 404. */
  readonly undrain?: (id: string) => UndrainOutcome;
  /** The host's maintenance switch (`/api/maintenance…`); leave out: 404. */
  readonly maintenance?: MaintenanceSwitch;
  /**
   * The token mutations need (`Authorization: Bearer` or `X-Sidecar-Token`). Leave out:
   * mutations are accepted from loopback peers only.
   */
  readonly token?: string;
  /**
   * Names and addresses of this agent that mutations may carry in `Host` (and `Origin`);
   * `localhost`, `127.0.0.1`, `::1` and the bind address are always added.
   */
  readonly hostNames?: readonly string[];
  /** Certificate and key: the API serves HTTPS. */
  readonly tls?: ApiTls;
  /** Most connections open at once; more are closed as they arrive. Default 256; the daemon lowers it to the API's share of the open-files limit (core/fd-limits.ts). */
  readonly maxConnections?: number;
  /** Most `/watch` clients; the next gets 503. Default 64. */
  readonly maxWatchers?: number;
  /** A `/watch` client with more bytes than this queued in the process is dropped. Default 8 MiB. */
  readonly watchMaxBufferBytes?: number;
  /** A `/watch` client whose socket stays full this long is dropped. Default 30 s. */
  readonly watchStallTimeoutMs?: number;
  /**
   * A connection that has not sent a whole request head within this time gets 408 and is
   * closed. Default 10 s; tests shorten it.
   */
  readonly headersTimeoutMs?: number;
  /** The load balancer's status for `/api/proxy.json` and the UI; leave out when the proxy is disabled. */
  readonly proxyStatus?: () => Promise<ProxyStatus>;
  /** What only the UI needs: check results, member changes (see OpsFeedSources). */
  readonly ui?: OpsFeedSources;
  /** `GET /metrics` (Prometheus text format); leave out: 404. */
  readonly metrics?: MetricsEndpoint;
  /** Handlers under other prefixes (e.g. the Envoy V1 API under `/v1`). */
  readonly extraRoutes?: readonly ApiMount[];
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Longest request target accepted, in bytes; longer ones get 414. Default 8192: Sidecar
   * URLs are short, and this stays below Node's 16 KiB header limit (which answers 431).
   */
  readonly maxUrlBytes?: number;
  /**
   * Request bodies are never used; at most this many bytes of one are read and discarded
   * (so a keep-alive connection can carry on), after which the connection is closed.
   * Default 65536, enough for any sane client's stray body.
   */
  readonly maxRequestBodyBytes?: number;
}

const DEFAULT_HOST = '0.0.0.0';
const DEFAULT_PORT = 7777;
const DEFAULT_MAX_URL_BYTES = 8192;
const DEFAULT_MAX_REQUEST_BODY_BYTES = 64 * 1024;
/** Default most API connections: far above what the Go Sidecar's tools open, far below a host's fds. */
const DEFAULT_MAX_CONNECTIONS = 256;
/**
 * Time a connection has to send a whole request head: 10 s (Node's default is 60 s). API
 * clients send their head at once; an idle connection that sends nothing holds one of the
 * capped connection slots (and an fd) only this long.
 */
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

/**
 * The HTTP API and UI on port 7777, on `node:http` with no framework. Routes, status codes,
 * bodies and headers follow the Go Sidecar (`sidecarhttp/http.go`, gorilla/mux 1.6.2 and
 * Go's net/http): see docs and `test/integration/api` for the exact contract.
 */
export class ApiServer {
  private readonly log: Logger;
  private readonly documents: StateDocuments;
  private readonly watchers: WatchHub;
  private readonly api: SidecarApi;
  private readonly routes: RouteTable<ApiHandler>;
  private readonly maxUrlBytes: number;
  private readonly maxBodyBytes: number;
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private readonly feed: OpsFeed;
  /** Clock time start() was called: when the local node counts as alive without a cluster. */
  private startedMs: number | undefined;

  constructor(private readonly options: ApiServerOptions) {
    this.log = options.logger;
    this.maxUrlBytes = options.maxUrlBytes ?? DEFAULT_MAX_URL_BYTES;
    this.maxBodyBytes = options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
    this.documents = new StateDocuments(options.state);
    this.watchers = new WatchHub({
      state: options.state,
      documents: this.documents,
      logger: this.log,
      clock: options.clock,
      ...(options.maxWatchers === undefined ? {} : { maxWatchers: options.maxWatchers }),
      ...(options.watchMaxBufferBytes === undefined ? {} : { maxBufferBytes: options.watchMaxBufferBytes }),
      ...(options.watchStallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.watchStallTimeoutMs }),
    });
    // The UI's event stream shares the watch stream's limits.
    this.feed = new OpsFeed({
      state: options.state,
      logger: this.log,
      clock: options.clock,
      memberDetails: options.memberDetails ?? this.localMemberOnly,
      ...options.ui,
      proxyStatus: options.ui?.proxyStatus ?? options.proxyStatus,
      maxClients: options.maxWatchers ?? DEFAULT_MAX_WATCHERS,
      maxBufferBytes: options.watchMaxBufferBytes ?? DEFAULT_WATCH_MAX_BUFFER_BYTES,
      stallTimeoutMs: options.watchStallTimeoutMs ?? DEFAULT_WATCH_STALL_TIMEOUT_MS,
    });
    const guard = new MutationGuard({
      token: options.token,
      hostNames: ['localhost', '127.0.0.1', '::1', options.host ?? DEFAULT_HOST, ...(options.hostNames ?? [])].filter((n) => n !== '0.0.0.0'),
      port: () => this.address().port,
      tls: options.tls !== undefined,
    });
    this.api = new SidecarApi({
      guard,
      clock: options.clock,
      undrain: options.undrain,
      maintenance: options.maintenance,
      documents: this.documents,
      watchers: this.watchers,
      events: this.feed,
      members: options.members,
      memberDetails: options.memberDetails ?? this.localMemberOnly,
      drain: options.drain,
      proxyStatus: options.proxyStatus,
      logger: this.log,
    });
    const routes = new RouteTable<ApiHandler>()
      .add('GET', '/', ({ res, method }) => sendRedirect(res, method, '/ui/'))
      .add('GET', '/servers', this.serversHandler)
      .add('GET', '/metrics', options.metrics === undefined ? ({ res }) => sendNotFound(res) : metricsHandler(options.metrics, this.log))
      .addPrefix('/static', ({ res }) => sendNotFound(res))
      .addPrefix('/ui', uiRoute(options.state))
      .addPrefix('/api', this.apiHandler);
    for (const mount of options.extraRoutes ?? []) routes.addPrefix(mount.prefix, mounted(mount));
    // Deprecated top-level aliases, kept as the Go Sidecar kept them.
    this.routes = routes
      .add('GET', '/services.{extension}', this.api.services)
      .add('GET', '/state.{extension}', this.api.state)
      .add('GET', '/watch', this.api.watch);
  }

  /** Listens; a port in use or not permitted is a SidecarError (API_LISTEN). */
  async start(): Promise<void> {
    if (this.closing !== undefined) throw new BugError('ApiServer.start() called after close()');
    if (this.server !== undefined) return;
    this.startedMs = this.options.clock.nowMs();
    this.feed.start();
    const headersTimeout = this.options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const serverOptions: ServerOptions = {
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, 300_000),
      // Node checks the timeouts above this often (its default is 30 s).
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(headersTimeout / 2))),
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.onRequest(req, res);
    const tls = this.options.tls;
    const server: Server = tls === undefined ? createServer(serverOptions, onRequest) : createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, onRequest);
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    let refusedConnections = 0;
    server.on('drop', () => {
      refusedConnections++;
      if ((refusedConnections & (refusedConnections - 1)) === 0) {
        this.log.warn({ max: server.maxConnections, refused: refusedConnections }, 'API connection refused: too many open connections');
      }
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, this.log));
    this.server = server;
    const host = this.options.host ?? DEFAULT_HOST;
    const port = this.options.port ?? DEFAULT_PORT;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        reject(listenError(err, host, port));
      };
      const onListening = (): void => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error({ err: err.message }, 'HTTP API server error'));
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host, port });
    });
    this.log.info(
      { address: `${host}:${this.address().port}`, tls: tls !== undefined, maxConnections: server.maxConnections, token: this.options.token !== undefined },
      'HTTP API listening',
    );
  }

  /** The bound address (after start). */
  address(): { host: string; port: number } {
    const addr = this.server?.address();
    if (addr === null || addr === undefined || typeof addr === 'string') {
      return { host: this.options.host ?? DEFAULT_HOST, port: this.options.port ?? DEFAULT_PORT };
    }
    return { host: addr.address, port: addr.port };
  }

  /** Counters of the connected `/watch` clients. */
  watchStats(): WatcherStats[] {
    return this.watchers.stats();
  }

  /** Stops listening, ends every `/watch` stream and closes every open connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.watchers.close();
    this.feed.close();
    const server = this.server;
    if (server === undefined || !server.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.limitBody(req, res);
    try {
      this.dispatch(req, res);
    } catch (err) {
      this.log.error({ err: (err as Error).message, url: req.url }, 'HTTP API handler failed');
      if (!res.headersSent) sendTextError(res, 500, 'Internal Server Error');
      else res.destroy();
    }
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (url.length > this.maxUrlBytes) {
      this.log.debug({ bytes: url.length }, 'Request target too long');
      sendBody(res, 414, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }, '414 URI Too Long');
      return;
    }
    const target = parseRequestTarget(url);
    if (target.kind === 'asterisk') {
      // Go answers `OPTIONS *` itself; any other method on `*` is a 400.
      if (method === 'OPTIONS') sendEmpty(res, 200);
      else sendEmpty(res, 400, { Connection: 'close' });
      return;
    }
    const path = target.kind === 'path' ? decodePath(target.rawPath) : null;
    if (target.kind === 'invalid' || path === null) {
      this.log.debug({ url, reason: target.kind === 'invalid' ? target.reason : 'bad percent-encoding' }, 'Bad request target');
      sendBody(res, 400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }, '400 Bad Request');
      return;
    }
    const query = target.rawQuery === '' ? '' : `?${target.rawQuery}`;
    // Go's ServeMux cleans the escaped path, then gorilla/mux the decoded one.
    const cleanRaw = cleanPath(target.rawPath);
    if (cleanRaw !== target.rawPath) {
      sendRedirect(res, method, cleanRaw + query);
      return;
    }
    const clean = cleanPath(path);
    if (clean !== path) {
      sendBareRedirect(res, escapePath(clean) + query);
      return;
    }
    this.route(this.routes, { req, res, method, path, rawPath: target.rawPath, rawQuery: target.rawQuery, vars: RouteVars.EMPTY });
  }

  private route(table: RouteTable<ApiHandler>, request: ApiRequest): void {
    const match = table.match(request.method, request.path);
    switch (match.kind) {
      case 'found':
        match.handler({ ...request, vars: match.vars });
        return;
      case 'methodNotAllowed':
        sendMethodNotAllowed(request.res);
        return;
      case 'notFound':
        sendNotFound(request.res);
        return;
    }
  }

  private readonly apiHandler: ApiHandler = (request) => {
    const sub = request.path.slice('/api'.length);
    // Go redirected `/api` to `/` and `/apiX` to `/X` here (a StripPrefix quirk); we answer 404.
    if (!sub.startsWith('/')) {
      sendNotFound(request.res);
      return;
    }
    // A name or ID holding `/` arrives escaped (`/api/services/a%2Fb.json`); decoded it would
    // be two segments and match nothing, so such paths are matched still escaped.
    if (/%2f/i.test(request.rawPath) && this.routeEscaped(request)) return;
    this.route(this.api.routes, { ...request, path: sub });
  };

  /** Routes the raw `/api/…` path; true when a route took it (variables decoded). */
  private routeEscaped(request: ApiRequest): boolean {
    if (!request.rawPath.startsWith('/api/')) return false;
    const match = this.api.routes.match(request.method, request.rawPath.slice('/api'.length));
    if (match.kind !== 'found') return false;
    const decoded = new Map<string, string>();
    for (const [name, raw] of match.vars.entries()) {
      const value = decodePath(raw);
      if (value === null) return false;
      decoded.set(name, value);
    }
    match.handler({ ...request, path: request.path.slice('/api'.length), vars: new RouteVars(decoded) });
    return true;
  }

  private readonly localMemberOnly = (): readonly ApiMemberDetail[] => {
    const { state, clock } = this.options;
    return [localMemberDetail(state.hostname, state.clusterName, this.startedMs ?? clock.nowMs())];
  };

  private readonly serversHandler: ApiHandler = ({ res }) => {
    const now = msToTimestamp(this.options.clock.nowMs());
    sendBody(res, 200, { 'Content-Type': 'text/html' }, serversPage(this.options.state, this.options.members(), now));
  };

  /**
   * Bodies are ignored but must not hang a connection: read and drop up to the cap, then
   * close the connection once the response is out.
   */
  private limitBody(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (req.headers['transfer-encoding'] === undefined && !(declared > 0)) return;
    if (declared > this.maxBodyBytes) res.setHeader('Connection', 'close');
    let seen = 0;
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen <= this.maxBodyBytes) return;
      req.off('data', onData);
      req.pause();
      this.log.debug({ url: req.url, bytes: seen }, 'Request body over the limit, closing the connection');
      if (res.writableEnded && !res.writableFinished) res.once('finish', () => req.socket.destroy());
      else req.socket.destroy();
    };
    req.on('data', onData);
    req.on('error', (err) => this.log.debug({ err: err.message }, 'Request body error'));
  }
}

function mounted(mount: ApiMount): ApiHandler {
  return (request) => mount.handle({ ...request, path: request.path.slice(mount.prefix.length) });
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): SidecarError {
  const address = `${host}:${port}`;
  const hint =
    err.code === 'EADDRINUSE'
      ? `address ${address} is already in use; stop the other process or choose another port with --http-port`
      : err.code === 'EACCES'
        ? `no permission to listen on ${address}; choose a port above 1023 with --http-port or grant the capability`
        : `cannot listen on ${address}: ${err.message}; check the bind address or choose another port with --http-port`;
  return new SidecarError(ErrorCode.API_LISTEN, `HTTP API: ${hint}`, { cause: err });
}
