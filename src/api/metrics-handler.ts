import type { Logger } from '../core/index.js';
import type { ApiHandler } from './api-request.js';
import { sendBody, sendTextError } from './http-replies.js';

/** What `/metrics` serves: the text exposition and its content type (the daemon wires the registry in). */
export interface MetricsEndpoint {
  readonly contentType: string;
  scrape(): Promise<string>;
}

/**
 * `GET /metrics`: the Prometheus text format, always on, no token (read-only like the state
 * routes). A scrape that fails answers 500 and is logged; the agent carries on.
 */
export function metricsHandler(endpoint: MetricsEndpoint, log: Logger): ApiHandler {
  return ({ res }) => {
    endpoint.scrape().then(
      (text) => sendBody(res, 200, { 'Content-Type': endpoint.contentType, 'Cache-Control': 'no-store' }, text),
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'metrics scrape failed');
        if (!res.headersSent) sendTextError(res, 500, 'Internal Server Error');
      },
    );
  };
}
