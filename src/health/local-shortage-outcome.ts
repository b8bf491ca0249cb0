import { localShortageCode, probeDescriptorShortage } from '../core/index.js';
import type { CheckOutcome } from './checker.js';

/** Resolver errors that, out of descriptors, stand for a shortage (getaddrinfo cannot read /etc/hosts). */
const RESOLVER_ERRORS: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_SYSTEM', 'EAI_FAIL', 'EAI_MEMORY']);

/**
 * The outcome of a check that failed with `err`: `unknown` with `message`, marked as a local
 * shortage when `err` is one (EMFILE, EADDRNOTAVAIL…) or is a resolver error while this
 * process cannot open a descriptor.
 */
export function failureOutcome(err: unknown, message: string): CheckOutcome {
  let shortage = localShortageCode(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (shortage === undefined && typeof code === 'string' && RESOLVER_ERRORS.has(code)) shortage = probeDescriptorShortage();
  return shortage === undefined ? { result: 'unknown', error: message } : { result: 'unknown', error: message, localShortage: shortage };
}
