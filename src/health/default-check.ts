import type { Service } from '../catalog/index.js';
import { CheckState } from './thresholds.js';

/** Go's DEFAULT_STATUS_ENDPOINT: used when SIDECAR_DEFAULT_CHECK_ENDPOINT is set to ''. */
export const FALLBACK_CHECK_ENDPOINT = '/';

/** A check to create: its type name, raw (untemplated) args and the state it starts in. */
export interface CheckPlan {
  readonly type: string;
  readonly args: string;
  readonly initialState: CheckState;
}

/**
 * The check for a service whose discovery gave none: `HttpGet
 * http://<advertise IP>:<first tcp Port><endpoint>`, starting FAILED (UNHEALTHY until it
 * passes); with no tcp port, `AlwaysSuccessful`, starting HEALTHY. An IPv6 advertise IP is
 * bracketed (the Go Sidecar built an unusable URL there).
 */
export function defaultCheckFor(svc: Service, advertiseIp: string, endpoint: string): CheckPlan {
  const port = (svc.ports ?? []).find((p) => p.type === 'tcp');
  if (port === undefined) return { type: 'AlwaysSuccessful', args: '', initialState: CheckState.HEALTHY };
  const host = advertiseIp.includes(':') ? `[${advertiseIp}]` : advertiseIp;
  const path = endpoint === '' ? FALLBACK_CHECK_ENDPOINT : endpoint;
  return { type: 'HttpGet', args: `http://${host}:${port.port}${path}`, initialState: CheckState.FAILED };
}
