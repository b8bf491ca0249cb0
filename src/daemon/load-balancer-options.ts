import { closeSync, openSync } from 'node:fs';
import { ErrorCode, SidecarError, errorMessage, type Clock, type FdLimits, type Logger } from '../core/index.js';
import type { SidecarConfig } from '../config/index.js';
import type { LoadBalancerOptions } from '../proxy/index.js';
import { logProxyFdBudget, proxyFdBudget } from './proxy-fd-budget.js';

/**
 * `reusePort` on `net` listeners, which the worker threads need, came in Node 22.12 (and 23.1);
 * an older Node ignores it and the second worker's bind fails.
 */
function nodeHasReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/**
 * `--proxy-access-log`: a file that cannot be opened for append stops the start with a clear
 * error (each forwarding thread opens its own descriptor later, on its first line).
 */
function checkAccessLog(path: string, logger: Logger): void {
  if (path === '') return;
  if (path !== '-') {
    try {
      closeSync(openSync(path, 'a', 0o640));
    } catch (err) {
      throw new SidecarError(ErrorCode.CONFIG_INVALID, `--proxy-access-log ${path}: cannot open it for append (${errorMessage(err)})`);
    }
  }
  logger.info({ proxyAccessLog: path }, `proxy access log: one JSON line per request (HTTP) or connection (TCP) to ${path === '-' ? 'stdout' : path}`);
}

/**
 * The load balancer's options from the configuration, for the agent and `sidecar proxy
 * --follow` alike: bind IP, timeouts, slow start, the fd budget (logged once) and the worker
 * threads (0 on a Node without `reusePort`, said once).
 */
export function loadBalancerOptions(config: SidecarConfig, fdLimits: FdLimits | undefined, logger: Logger, clock: Clock): LoadBalancerOptions {
  const fdBudget = proxyFdBudget(config, fdLimits);
  logProxyFdBudget(logger, fdBudget);
  let workers = config.proxyWorkers;
  if (workers > 0 && !nodeHasReusePort()) {
    logger.warn({ proxyWorkers: workers, node: process.version }, `--proxy-workers ${workers} needs Node 22.12 or newer (reusePort); this is ${process.version}, so the main thread forwards`);
    workers = 0;
  }
  logger.info({ proxyWorkers: workers }, workers === 0 ? 'the main thread forwards proxied connections' : `${workers} worker thread(s) forward proxied connections`);
  checkAccessLog(config.proxyAccessLog, logger);
  return {
    bindIp: config.proxyBindIp,
    slowStartMs: config.proxySlowStartMs,
    serverTimeoutMs: config.proxyServerTimeoutMs,
    clientTimeoutMs: config.proxyClientTimeoutMs,
    serverIdleTimeoutMs: config.proxyServerIdleTimeoutMs,
    fdBudget,
    workers,
    logger,
    clock,
    ...(config.proxyAccessLog === '' ? {} : { accessLogPath: config.proxyAccessLog }),
  };
}
