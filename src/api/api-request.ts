import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteVars } from './route-table.js';

/** One routed request, as handlers see it. */
export interface ApiRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The percent-decoded, cleaned path (below a mount's prefix for mounted handlers). */
  readonly path: string;
  /** The request target's path as sent, still percent-encoded (whole, from `/`). */
  readonly rawPath: string;
  /** The raw query string, without `?` (`''` when there is none). */
  readonly rawQuery: string;
  /** Path variables of the matched route. */
  readonly vars: RouteVars;
}

/** Handlers answer synchronously (or take over the response, as `/watch` does); they never throw on bad input. */
export type ApiHandler = (request: ApiRequest) => void;

/**
 * Extra handlers mounted under a path prefix (e.g. the Envoy V1 API under `/v1`): like
 * gorilla's `PathPrefix(prefix)`, every method and every path that starts with the prefix
 * goes to `handle`, with `path` stripped of the prefix. Mounts are tried after `/api` and
 * before the deprecated top-level aliases.
 */
export interface ApiMount {
  readonly prefix: string;
  readonly handle: ApiHandler;
}
