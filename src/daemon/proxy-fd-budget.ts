import { CONTROL_PLANE_RESERVE_FDS, defaultMaxConnections, readFdLimits, type FdLimits, type Logger } from '../core/index.js';
import type { SidecarConfig } from '../config/index.js';

/** The load balancer's share of the process's file descriptors, decided once at start. */
export interface ProxyFdBudget {
  readonly maxConnections: number;
  /** The open-files limit that applies (soft), when it could be read. */
  readonly fdLimit?: number;
  readonly reserveFds: number;
  readonly limits: FdLimits | undefined;
  /** `--proxy-max-connections` was given (else derived from the limit). */
  readonly explicit: boolean;
}

/** `--proxy-max-connections`, or the load balancer's share of the open-files limit (core/fd-limits.ts). */
export function proxyFdBudget(config: SidecarConfig, limits: FdLimits | undefined = readFdLimits()): ProxyFdBudget {
  const explicit = config.proxyMaxConnections > 0;
  return {
    maxConnections: explicit ? config.proxyMaxConnections : defaultMaxConnections(limits),
    ...(limits === undefined || !Number.isFinite(limits.soft) ? {} : { fdLimit: limits.soft }),
    reserveFds: CONTROL_PLANE_RESERVE_FDS,
    limits,
    explicit,
  };
}

/** One line at start: the fd limits and the cap; a warning when the cap eats into the reserve. */
export function logProxyFdBudget(log: Logger, b: ProxyFdBudget): void {
  const fields = {
    fdLimitSoft: b.limits?.soft ?? null,
    fdLimitHard: b.limits?.hard ?? null,
    reserveFds: b.reserveFds,
    proxyMaxConnections: b.maxConnections,
    proxyMaxConnectionsFrom: b.explicit ? 'setting' : b.limits === undefined ? 'fallback (limit unreadable)' : 'open-files limit',
  };
  const limit = b.limits === undefined ? 'unknown (no /proc/self/limits)' : `${b.limits.soft} (hard ${b.limits.hard})`;
  const summary = `open-files limit ${limit}; load balancer capped at ${b.maxConnections} connections (2 fds each), ${b.reserveFds} fds kept for gossip, the API and health checks`;
  if (b.fdLimit !== undefined && 2 * b.maxConnections + b.reserveFds > b.fdLimit) {
    log.warn(fields, `${summary}: the cap leaves fewer than ${b.reserveFds} fds for the control plane; lower PROXY_MAX_CONNECTIONS or raise the limit (ulimit -n, LimitNOFILE=)`);
  } else {
    log.info(fields, summary);
  }
}
