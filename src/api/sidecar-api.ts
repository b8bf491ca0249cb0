import { LogLimiter, encodeGoJsonPretty, errorMessage, type Clock, type Logger } from '../core/index.js';
import { statusString, type Service, type UndrainOutcome } from '../catalog/index.js';
import type { ApiHandler, ApiRequest } from './api-request.js';
import { goQuote } from './go-quote.js';
import { CORS_HEADERS, JSON_TYPE, sendBody, sendEmpty, sendJsonError, sendNotFound } from './http-replies.js';
import { queryGet } from './request-target.js';
import { membersJson, type ApiMemberDetail } from './members-document.js';
import { RouteTable } from './route-table.js';
import type { MutationGuard } from './mutation-guard.js';
import type { ApiMember, StateDocuments } from './state-documents.js';
import type { WatchHub } from './watch-hub.js';
import type { OpsFeed } from './ops-feed.js';

export type { UndrainOutcome };

export interface SidecarApiOptions {
  readonly documents: StateDocuments;
  readonly watchers: WatchHub;
  /** The UI's event stream (`/api/events`). */
  readonly events: OpsFeed;
  readonly members: () => readonly ApiMember[];
  /** Every known cluster member with its address, state and metadata, for `/api/members.json`. */
  readonly memberDetails: () => readonly ApiMemberDetail[];
  readonly drain: (id: string) => Service | undefined;
  /** Undoes a drain; undefined: the route answers 404. */
  readonly undrain?: ((id: string) => UndrainOutcome) | undefined;
  /** The host's maintenance switch; undefined: the routes answer 404. */
  readonly maintenance?: MaintenanceSwitch | undefined;
  /** Who may call the mutating routes. */
  readonly guard: MutationGuard;
  /** For the refused-mutation log limit. */
  readonly clock: Clock;
  /** The load balancer's routes and counters as plain JSON data; undefined when it is off. */
  readonly proxyStatus?: (() => Promise<unknown>) | undefined;
  readonly logger: Logger;
}

/** The host-wide maintenance switch: while on, every local service is DRAINING. */
export interface MaintenanceSwitch {
  readonly isOn: () => boolean;
  /** Turns it on or off; returns how many local services changed status. */
  readonly set: (on: boolean) => number;
}

const INVALID_EXTENSION = 'Not Found - Invalid content type extension';
/**
 * Audit lines for refused mutations: at most 20 per 10 s (the rest are counted on the next
 * line). Allowed mutations are always logged: they need authority, so they cannot flood.
 */
const REFUSED_AUDIT_LINES = 20;
const REFUSED_AUDIT_WINDOW_MS = 10_000;

/**
 * The `/api` handlers of the Go Sidecar (`sidecarhttp/http_api.go`), with its status codes,
 * messages and header quirks: CORS headers on every answer of the services routes, only on
 * success for the state route, never on `/watch` or drain.
 */
export class SidecarApi {
  /** The routes below `/api`, in gorilla's order (the last one makes other methods on `/api/<x>` a 405). */
  readonly routes: RouteTable<ApiHandler>;
  private readonly refusedLog: LogLimiter;

  constructor(private readonly options: SidecarApiOptions) {
    this.refusedLog = new LogLimiter(options.clock, REFUSED_AUDIT_WINDOW_MS, REFUSED_AUDIT_LINES);
    this.routes = new RouteTable<ApiHandler>()
      .add('GET', '/services/{name}.{extension}', this.oneService)
      .add('POST', '/services/{id}/drain', this.mutation('drain', this.drainService))
      .add('POST', '/services/{id}/undrain', this.mutation('undrain', this.undrainService))
      .add('GET', '/maintenance.{extension}', this.maintenanceState)
      .add('POST', '/maintenance/on', this.mutation('maintenance on', this.maintenanceOn))
      .add('POST', '/maintenance/off', this.mutation('maintenance off', this.maintenanceOff))
      .add('GET', '/services.{extension}', this.services)
      .add('GET', '/state.{extension}', this.state)
      .add('GET', '/watch', this.watch)
      .add('GET', '/events', this.events)
      .add('GET', '/proxy.{extension}', this.proxy)
      .add('GET', '/members.{extension}', this.members)
      .add('OPTIONS', '/{path}', this.corsOptions);
  }

  /** `GET /api/services.<ext>`: every record grouped by name, plus cluster members. */
  readonly services: ApiHandler = ({ res, vars }) => {
    if (vars.get('extension') !== 'json') {
      sendJsonError(res, 404, INVALID_EXTENSION, CORS_HEADERS);
      return;
    }
    const body = this.options.documents.servicesJson(this.options.members());
    sendBody(res, 200, { ...CORS_HEADERS, 'Content-Type': JSON_TYPE }, body);
  };

  /** `GET /api/services/<name>.<ext>`: the records of one name. */
  readonly oneService: ApiHandler = ({ res, vars }) => {
    if (vars.get('extension') !== 'json') {
      sendJsonError(res, 404, INVALID_EXTENSION, CORS_HEADERS);
      return;
    }
    const name = vars.get('name');
    const body = this.options.documents.oneServiceJson(name);
    if (body === undefined) {
      sendJsonError(res, 404, `no instances of ${name} found`, CORS_HEADERS);
      return;
    }
    sendBody(res, 200, { ...CORS_HEADERS, 'Content-Type': JSON_TYPE }, body);
  };

  /** `GET /api/state.<ext>`: the compact full state. */
  readonly state: ApiHandler = ({ res, vars }) => {
    if (vars.get('extension') !== 'json') {
      sendJsonError(res, 404, INVALID_EXTENSION);
      return;
    }
    sendBody(res, 200, { 'Content-Type': JSON_TYPE, ...CORS_HEADERS }, this.options.documents.stateJson());
  };

  /** `GET /api/watch[?by_service=false]`: the change stream. */
  readonly watch: ApiHandler = ({ res, rawQuery }) => {
    this.options.watchers.add(res, queryGet(rawQuery, 'by_service') === 'false' ? 'state' : 'byService');
  };

  /** `GET /api/events` (new): the UI's server-sent events (see ops-feed.ts). */
  readonly events: ApiHandler = ({ res }) => {
    this.options.events.add(res);
  };

  /** `POST /api/services/<id>/drain`: a local instance goes DRAINING. */
  readonly drainService: ApiHandler = ({ res, vars }) => {
    const id = vars.get('id');
    const svc = this.options.drain(id);
    if (svc === undefined) {
      sendJsonError(res, 404, `Not Found - Service ID ${goQuote(id)} not found`);
      return;
    }
    this.options.logger.info({ service: svc.name, id: svc.id }, 'Service set to DRAINING through the API');
    sendMessage(res, 202, `Service ${goQuote(svc.name)} instance ${goQuote(svc.id)} set to DRAINING`);
  };

  /** `POST /api/services/<id>/undrain` (new): a drained local instance comes back (UNKNOWN, then its health). */
  readonly undrainService: ApiHandler = ({ res, vars }) => {
    const id = vars.get('id');
    const outcome = this.options.undrain?.(id) ?? { kind: 'notFound' };
    switch (outcome.kind) {
      case 'notFound':
        sendJsonError(res, 404, `Not Found - Service ID ${goQuote(id)} not found`);
        return;
      case 'maintenance':
        sendJsonError(res, 409, 'Conflict - this host is in maintenance; every local service stays DRAINING until POST /api/maintenance/off');
        return;
      case 'notDraining': {
        const svc = outcome.service;
        sendMessage(res, 200, `Service ${goQuote(svc.name)} instance ${goQuote(svc.id)} is not DRAINING (${statusString(svc.status)})`);
        return;
      }
      case 'undrained': {
        const svc = outcome.service;
        this.options.logger.info({ service: svc.name, id: svc.id }, 'Service undrained through the API');
        sendMessage(res, 202, `Service ${goQuote(svc.name)} instance ${goQuote(svc.id)} undrained: UNKNOWN until its health check passes`);
        return;
      }
    }
  };

  /** `GET /api/maintenance.json` (new): `{"Maintenance": true|false}`. */
  readonly maintenanceState: ApiHandler = ({ res, vars }) => {
    if (vars.get('extension') !== 'json') {
      sendJsonError(res, 404, INVALID_EXTENSION, CORS_HEADERS);
      return;
    }
    const on = this.options.maintenance?.isOn() ?? false;
    sendBody(res, 200, { ...CORS_HEADERS, 'Content-Type': JSON_TYPE }, encodeGoJsonPretty(new Map([['Maintenance', on]])));
  };

  /** `POST /api/maintenance/on` (new): every local service, and any found later, goes DRAINING. */
  readonly maintenanceOn: ApiHandler = ({ res }) => this.setMaintenance(res, true);

  /** `POST /api/maintenance/off` (new): the services maintenance drained come back. */
  readonly maintenanceOff: ApiHandler = ({ res }) => this.setMaintenance(res, false);

  private setMaintenance(res: ApiRequest['res'], on: boolean): void {
    const control = this.options.maintenance;
    if (control === undefined) {
      sendNotFound(res);
      return;
    }
    const changed = control.set(on);
    this.options.logger.info({ maintenance: on, changed }, `Maintenance turned ${on ? 'on' : 'off'} through the API`);
    const what = on ? `${changed} local service(s) set to DRAINING` : `${changed} local service(s) undrained`;
    sendMessage(res, 202, `Maintenance ${on ? 'on' : 'off'}: ${what}`);
  }

  /**
   * A mutating route behind the guard, with one audit line (info) per call: the route, the
   * service ID, the peer, how it was let through (token or loopback) or why it was refused,
   * and the status answered (refusals within a budget, see REFUSED_AUDIT_LINES).
   */
  private mutation(route: string, handler: ApiHandler): ApiHandler {
    return (request) => {
      const { req, res, vars } = request;
      const verdict = this.options.guard.check(req);
      const audit = { audit: true, route, id: vars.get('id') || undefined, remote: req.socket.remoteAddress };
      if (!verdict.ok) {
        const held = this.refusedLog.take();
        if (held !== undefined) {
          const extra = held > 0 ? { suppressedBefore: held } : {};
          this.options.logger.info({ ...audit, outcome: 'refused', status: verdict.status, reason: verdict.reason, ...extra }, 'API mutation refused');
        }
        const headers = verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="sidecar"' } : {};
        sendJsonError(res, verdict.status, `${verdict.status === 401 ? 'Unauthorized' : 'Forbidden'} - ${verdict.reason}`, headers);
        return;
      }
      handler(request);
      this.options.logger.info({ ...audit, authority: verdict.authority, outcome: res.statusCode < 300 ? 'done' : 'failed', status: res.statusCode }, 'API mutation');
    };
  }

  /** `GET /api/proxy.json` (new): the load balancer's listeners, routes, collisions and counters. */
  readonly proxy: ApiHandler = ({ res, vars }) => {
    if (vars.get('extension') !== 'json') {
      sendJsonError(res, 404, INVALID_EXTENSION, CORS_HEADERS);
      return;
    }
    const status = this.options.proxyStatus;
    if (status === undefined) {
      sendJsonError(res, 404, 'Not Found - the load balancer is disabled (--no-proxy)', CORS_HEADERS);
      return;
    }
    // Gathered from the worker threads (each answers within a second or is shown unresponsive).
    status().then(
      (doc) => sendBody(res, 200, { ...CORS_HEADERS, 'Content-Type': JSON_TYPE }, JSON.stringify(doc, null, 2)),
      (err: unknown) => sendJsonError(res, 500, `Internal Server Error - ${errorMessage(err)}`, CORS_HEADERS),
    );
  };

  /** `GET /api/members.json` (new): every known member, keyed by name (see members-document.ts). */
  readonly members: ApiHandler = ({ res, vars }) => {
    if (vars.get('extension') !== 'json') {
      sendJsonError(res, 404, INVALID_EXTENSION, CORS_HEADERS);
      return;
    }
    sendBody(res, 200, { ...CORS_HEADERS, 'Content-Type': JSON_TYPE }, membersJson(this.options.memberDetails()));
  };

  /** `OPTIONS /api/<x>`: the CORS headers and nothing else. */
  readonly corsOptions: ApiHandler = ({ res }: ApiRequest) => {
    sendEmpty(res, 200, CORS_HEADERS);
  };
}


/** The `{"Message": …}` answer of drain (pretty, as the Go Sidecar wrote it) and of the new mutations. */
function sendMessage(res: ApiRequest['res'], status: number, message: string): void {
  sendBody(res, status, { 'Content-Type': JSON_TYPE }, encodeGoJsonPretty(new Map([['Message', message]])));
}
