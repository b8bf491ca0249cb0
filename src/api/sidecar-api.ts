import { encodeGoJsonPretty, type Logger } from '../core/index.js';
import type { Service } from '../catalog/index.js';
import type { ApiHandler, ApiRequest } from './api-request.js';
import { goQuote } from './go-quote.js';
import { CORS_HEADERS, JSON_TYPE, sendBody, sendEmpty, sendJsonError } from './http-replies.js';
import { queryGet } from './request-target.js';
import { membersJson, type ApiMemberDetail } from './members-document.js';
import { RouteTable } from './route-table.js';
import type { ApiMember, StateDocuments } from './state-documents.js';
import type { WatchHub } from './watch-hub.js';

export interface SidecarApiOptions {
  readonly documents: StateDocuments;
  readonly watchers: WatchHub;
  readonly members: () => readonly ApiMember[];
  /** Every known cluster member with its address, state and metadata, for `/api/members.json`. */
  readonly memberDetails: () => readonly ApiMemberDetail[];
  readonly drain: (id: string) => Service | undefined;
  /** The load balancer's routes and counters as plain JSON data; undefined when it is off. */
  readonly proxyStatus?: (() => unknown) | undefined;
  readonly logger: Logger;
}

const INVALID_EXTENSION = 'Not Found - Invalid content type extension';

/**
 * The `/api` handlers of the Go Sidecar (`sidecarhttp/http_api.go`), with its status codes,
 * messages and header quirks: CORS headers on every answer of the services routes, only on
 * success for the state route, never on `/watch` or drain.
 */
export class SidecarApi {
  /** The routes below `/api`, in gorilla's order (the last one makes other methods on `/api/<x>` a 405). */
  readonly routes: RouteTable<ApiHandler>;

  constructor(private readonly options: SidecarApiOptions) {
    this.routes = new RouteTable<ApiHandler>()
      .add('GET', '/services/{name}.{extension}', this.oneService)
      .add('POST', '/services/{id}/drain', this.drainService)
      .add('GET', '/services.{extension}', this.services)
      .add('GET', '/state.{extension}', this.state)
      .add('GET', '/watch', this.watch)
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

  /** `POST /api/services/<id>/drain`: a local instance goes DRAINING. */
  readonly drainService: ApiHandler = ({ res, vars }) => {
    const id = vars.get('id');
    const svc = this.options.drain(id);
    if (svc === undefined) {
      sendJsonError(res, 404, `Not Found - Service ID ${goQuote(id)} not found`);
      return;
    }
    this.options.logger.info({ service: svc.name, id: svc.id }, 'Service set to DRAINING through the API');
    const message = `Service ${goQuote(svc.name)} instance ${goQuote(svc.id)} set to DRAINING`;
    sendBody(res, 202, { 'Content-Type': JSON_TYPE }, encodeGoJsonPretty(new Map([['Message', message]])));
  };

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
    sendBody(res, 200, { ...CORS_HEADERS, 'Content-Type': JSON_TYPE }, JSON.stringify(status(), null, 2));
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

