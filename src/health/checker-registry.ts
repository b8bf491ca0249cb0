import { AlwaysSuccessfulChecker } from './always-successful-checker.js';
import { DockerHealthChecker } from './docker-health-checker.js';
import type { Checker } from './checker.js';
import { ExternalChecker } from './external-checker.js';
import { HttpGetChecker } from './http-get-checker.js';
import { TcpChecker } from './tcp-checker.js';

/** The check type names Sidecar knows (the `HealthCheck` label, static `Check.Type`). */
export const CHECK_TYPES = ['HttpGet', 'External', 'AlwaysSuccessful', 'Tcp', 'DockerHealth'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

// Checkers hold no state, so one of each serves every check.
const CHECKERS: Readonly<Record<CheckType, Checker>> = {
  HttpGet: new HttpGetChecker(),
  External: new ExternalChecker(),
  AlwaysSuccessful: new AlwaysSuccessfulChecker(),
  Tcp: new TcpChecker(),
  // Without Docker discovery there is no status to read; the daemon supplies a real one.
  DockerHealth: new DockerHealthChecker(() => undefined),
};

/** True for the exact (case-sensitive, as in Go) names in {@link CHECK_TYPES}. */
export function isKnownCheckType(type: string): type is CheckType {
  return (CHECK_TYPES as readonly string[]).includes(type);
}

/**
 * The checker for a type name. Any other name runs as `HttpGet`, as in the Go Sidecar
 * (callers warn about it: see {@link suggestCheckType}).
 */
export function checkerFor(type: string): Checker {
  return isKnownCheckType(type) ? CHECKERS[type] : CHECKERS.HttpGet;
}

/** For an unknown name that differs from a known one only in case (`external`), that name. */
export function suggestCheckType(type: string): CheckType | undefined {
  const lower = type.toLowerCase();
  return CHECK_TYPES.find((known) => known.toLowerCase() === lower);
}
