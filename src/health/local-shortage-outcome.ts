import { localShortageCode, probeDescriptorShortage } from '../core/index.js';
import type { CheckOutcome } from './checker.js';

/** Resolver error codes (some errors carry no `syscall`). */
const RESOLVER_ERRORS: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_SYSTEM', 'EAI_FAIL', 'EAI_MEMORY']);

/**
 * The outcome of a check that failed with `err`: `unknown` with `message`, marked as a local
 * shortage when `err` is one (EMFILE, EADDRNOTAVAIL…), or is a resolver error while this
 * process cannot open a descriptor: out of descriptors, getaddrinfo cannot read /etc/hosts
 * and fails with whatever it finds (`getaddrinfo EBUSY localhost` under `ulimit -n 64`,
 * test/system/hostile/health-fds.test.ts).
 */
export function failureOutcome(err: unknown, message: string): CheckOutcome {
  let shortage = localShortageCode(err);
  if (shortage === undefined && isResolverError(err)) shortage = probeDescriptorShortage();
  return shortage === undefined ? { result: 'unknown', error: message } : { result: 'unknown', error: message, localShortage: shortage };
}

function isResolverError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  return syscall === 'getaddrinfo' || (typeof code === 'string' && RESOLVER_ERRORS.has(code));
}
