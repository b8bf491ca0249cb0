/**
 * api: the HTTP API and UI on port 7777 (the Go Sidecar's routes, codes and JSON), on
 * `node:http`.
 */
export { ApiServer, type ApiServerOptions } from './api-server.js';
export type { ApiMember } from './state-documents.js';
export type { ApiMemberDetail, ApiNodeMeta } from './members-document.js';
export type { ApiMount, ApiRequest, ApiHandler } from './api-request.js';
export { RouteVars } from './route-table.js';
export type { WatcherStats, WatchKind } from './watch-hub.js';
export type { MaintenanceSwitch, UndrainOutcome } from './sidecar-api.js';
export { loadApiToken, type ApiToken } from './api-token.js';
export { loadApiTls, type ApiTls } from './api-tls.js';
export type { MetricsEndpoint } from './metrics-handler.js';
