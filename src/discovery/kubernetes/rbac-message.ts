/** What the agent needs from RBAC: the same list everywhere (logs, docs/kubernetes.md). */
export const NEEDED_RBAC = 'get, list and watch on pods, services and nodes (ClusterRole in docs/kubernetes.md)';

/**
 * The line for a 401 or 403: which verb on which resource was refused and what the
 * service account needs.
 */
export function deniedMessage(status: number, verb: string, resource: string): string {
  if (status === 401) {
    return `401 Unauthorized on ${verb} ${resource} (the token is missing, expired or not accepted, also after re-reading it); the agent needs a valid token with ${NEEDED_RBAC}`;
  }
  return `403 Forbidden: RBAC denies "${verb}" on "${resource}"; the agent needs ${NEEDED_RBAC}`;
}
