/**
 * The one error catalogue. Every error the daemon raises on purpose carries a stable `code`
 * from {@link ErrorCode}; codes are never reused or renamed (docs/errors.md lists them and a
 * test holds the two together).
 *
 * Operational errors (bad input, timeouts, refused connections) are logged and survived.
 * {@link BugError} marks a broken invariant: it is allowed to crash the process.
 */
export const ErrorCode = {
  /** One or more settings (env, flag or file) are invalid; the message lists each one. */
  CONFIG_INVALID: 'SC_ERR_CONFIG_INVALID',
  /** A timestamp is not RFC 3339. */
  CATALOG_BAD_TIMESTAMP: 'SC_ERR_CATALOG_BAD_TIMESTAMP',
  /** A JSON document does not have the shape of a Sidecar Service or State. */
  CATALOG_BAD_JSON: 'SC_ERR_CATALOG_BAD_JSON',
  /** The static discovery file cannot be read or parsed. */
  DISCOVERY_STATIC_FILE: 'SC_ERR_DISCOVERY_STATIC_FILE',
  /** A health check could not run (bad URL, missing command, spawn failure). */
  HEALTH_CHECK_FAILED: 'SC_ERR_HEALTH_CHECK_FAILED',
  /** A health check did not answer in time. */
  HEALTH_CHECK_TIMEOUT: 'SC_ERR_HEALTH_CHECK_TIMEOUT',
  /** A health check template could not be rendered. */
  HEALTH_TEMPLATE: 'SC_ERR_HEALTH_TEMPLATE',
  /** A listener POST failed after all its retries. */
  LISTENER_POST_FAILED: 'SC_ERR_LISTENER_POST_FAILED',
  /** A listener URL is not an absolute http:// or https:// URL; the listener posts nothing. */
  LISTENER_BAD_URL: 'SC_ERR_LISTENER_BAD_URL',
  /** The HTTP API could not bind its port. */
  API_LISTEN: 'SC_ERR_API_LISTEN',
  /** The gossip transport could not bind its UDP and TCP address (in use, not local, not allowed). */
  MEMBERSHIP_BIND: 'SC_ERR_MEMBERSHIP_BIND',
  /** A TCP stream to a peer could not be opened: refused, timed out, or the transport is closed. */
  MEMBERSHIP_DIAL: 'SC_ERR_MEMBERSHIP_DIAL',
  /** An invariant was broken: a bug in the daemon. */
  BUG: 'SC_ERR_BUG',
  /** The load balancer refused connections: its share of the process's file descriptors is spent. */
  PROXY_FD_BUDGET: 'SC_ERR_PROXY_FD_BUDGET',
  /** The API token file cannot be read, is too big or is empty. */
  API_TOKEN: 'SC_ERR_API_TOKEN',
  /** The API's TLS certificate or key is missing, unreadable or not a usable pair. */
  API_TLS: 'SC_ERR_API_TLS',
  /** A health check could not run because this host is out of descriptors, ports or memory; the service keeps its status. */
  HEALTH_LOCAL_SHORTAGE: 'SC_ERR_HEALTH_LOCAL_SHORTAGE',
  /** The CPU profile file (-p) is a symlink, not a regular file, or another user's; nothing is written. */
  CPU_PROFILE_UNSAFE: 'SC_ERR_CPU_PROFILE_UNSAFE',
  /** The Docker Engine does not answer (socket missing, refused, timed out); discovery keeps its last services and retries. */
  DOCKER_UNREACHABLE: 'SC_ERR_DOCKER_UNREACHABLE',
  /** The load balancer could not bind a ServicePort on its bind IP (address not on this host, port in use, privileged port). */
  PROXY_BIND: 'SC_ERR_PROXY_BIND',
  /** A proxy worker thread threw or exited; it is replaced with its listeners and the other workers keep serving. */
  PROXY_WORKER_DIED: 'SC_ERR_PROXY_WORKER_DIED',
  /** The Kubernetes API server does not answer, or answers junk (too big, not JSON); discovery keeps the last known pods and retries. */
  KUBERNETES_UNREACHABLE: 'SC_ERR_KUBERNETES_UNREACHABLE',
  /** The Kubernetes API refused the agent (401 after re-reading the token, or 403: RBAC verbs missing); the log names the verbs and resources. */
  KUBERNETES_DENIED: 'SC_ERR_KUBERNETES_DENIED',
  /** The nftables TCP fast path (`--proxy-tcp-fastpath nftables`) cannot run here (no `nft`, no CAP_NET_ADMIN, an IPv6 bind IP); the Node balancer serves every port. */
  FASTPATH_UNAVAILABLE: 'SC_ERR_FASTPATH_UNAVAILABLE',
  /** An nftables transaction of the fast path failed or timed out; the agent's table is removed so the Node balancer serves, and the next catalog change tries again. */
  FASTPATH_APPLY: 'SC_ERR_FASTPATH_APPLY',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes of operational errors: every code but {@link ErrorCode.BUG}, which only a {@link BugError} carries. */
export type OperationalErrorCode = Exclude<ErrorCode, typeof ErrorCode.BUG>;

/** An expected, operational failure with a stable code. */
export class SidecarError extends Error {
  override readonly name: string = 'SidecarError';
  readonly code: OperationalErrorCode;

  constructor(code: OperationalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A broken invariant. Never catch this to carry on. Deliberately not a {@link SidecarError}:
 * code that catches operational errors (bad configuration, a refused connection) must not
 * mistake a bug for one of them; a bug exits with its own code and asks to be reported.
 */
export class BugError extends Error {
  override readonly name = 'BugError';
  readonly code = ErrorCode.BUG;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True when `err` is a SidecarError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is SidecarError {
  return err instanceof SidecarError && err.code === code;
}

/** The message of anything thrown, for log lines. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
