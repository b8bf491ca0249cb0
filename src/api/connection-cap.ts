import { readFileSync } from 'node:fs';

/**
 * File descriptors of the open-file limit the API never takes: gossip (a UDP and a TCP
 * socket plus push/pull streams), health checks (a socket or a child's pipes each), the
 * load balancer's listeners and upstreams, discovery (the Docker socket, the static file)
 * and the logs. 128 covers a host with dozens of services; the rest may go to the API.
 */
export const FD_RESERVE = 128;
/** Never fewer API connections than this, however low the limit (an operator must get in). */
const MIN_API_CONNECTIONS = 8;

/**
 * The most API connections to allow: the configured cap, lowered to the soft open-file
 * limit less {@link FD_RESERVE} (so 225 idle API connections under `ulimit -n 256` can no
 * longer starve health checks and gossip of descriptors).
 */
export function apiConnectionCap(configured: number, softFdLimit: number | undefined): number {
  if (softFdLimit === undefined) return configured;
  return Math.max(MIN_API_CONNECTIONS, Math.min(configured, softFdLimit - FD_RESERVE));
}

/** The soft `RLIMIT_NOFILE` from /proc/self/limits; undefined when unknown or unlimited. */
export function readSoftFdLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'latin1').slice(0, 16 * 1024);
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (m?.[1] === undefined || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
