import { dirname, isAbsolute, join } from 'node:path';
import { ErrorCode, SidecarError, type Clock } from '../../core/index.js';
import { BearerToken } from './bearer-token.js';
import { isRecord } from './kube-objects.js';
import { parseBaseUrl, readRequiredFile, type KubeConnection } from './kube-connection.js';
import { parseMiniYaml } from './mini-yaml.js';

/**
 * The current context of a kubeconfig file as a connection: the cluster's `server`,
 * `certificate-authority(-data)` and `insecure-skip-tls-verify`, and a user with `token`,
 * `tokenFile` or `client-certificate(-data)` + `client-key(-data)`.
 *
 * Not supported, and refused with a message saying so: `exec` credential plugins (EKS, GKE,
 * AKS logins), `auth-provider`, `username`/`password`, impersonation, and merging several
 * files of a KUBECONFIG list (the first file is read). Use a service-account token instead.
 */
export function readKubeconfig(file: string, clock: Clock): Omit<KubeConnection, 'source'> {
  const where = `KUBECONFIG ${file}`;
  const doc = parseMiniYaml(readRequiredFile(file, 'KUBECONFIG').toString('utf8'), where);
  if (!isRecord(doc)) throw bad(where, 'not a kubeconfig (no mapping at the top)');
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string' || contextName === '') throw bad(where, 'no current-context');
  const context = named(doc['contexts'], contextName, 'context', where);
  const clusterName = context['cluster'];
  const userName = context['user'];
  if (typeof clusterName !== 'string') throw bad(where, `context ${contextName} names no cluster`);
  const cluster = named(doc['clusters'], clusterName, 'cluster', where);
  const user = typeof userName === 'string' && userName !== '' ? named(doc['users'], userName, 'user', where) : {};
  const base = dirname(file);
  const path = (p: unknown): string | undefined => (typeof p === 'string' && p !== '' ? (isAbsolute(p) ? p : join(base, p)) : undefined);
  const data = (v: unknown): Buffer | undefined => (typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64') : undefined);

  const server = cluster['server'];
  if (typeof server !== 'string' || server === '') throw bad(where, `cluster ${clusterName} has no server`);
  for (const unsupported of ['exec', 'auth-provider', 'username', 'password', 'as']) {
    if (user[unsupported] !== undefined && user[unsupported] !== null) {
      throw bad(where, `user ${String(userName)} uses "${unsupported}", which Sidecar does not support (no exec plugins or auth providers): give it a token, tokenFile or client certificate`);
    }
  }
  const caFile = path(cluster['certificate-authority']);
  const ca = data(cluster['certificate-authority-data']) ?? (caFile === undefined ? undefined : readRequiredFile(caFile, where));
  const certFile = path(user['client-certificate']);
  const keyFile = path(user['client-key']);
  const cert = data(user['client-certificate-data']) ?? (certFile === undefined ? undefined : readRequiredFile(certFile, where));
  const key = data(user['client-key-data']) ?? (keyFile === undefined ? undefined : readRequiredFile(keyFile, where));
  if ((cert === undefined) !== (key === undefined)) throw bad(where, `user ${String(userName)} needs both a client certificate and its key`);
  const tokenFile = path(user['tokenFile']);
  const token =
    typeof user['token'] === 'string' && user['token'] !== ''
      ? BearerToken.fixed(user['token'], clock)
      : tokenFile !== undefined
        ? BearerToken.fromFile(tokenFile, clock)
        : BearerToken.none(clock);
  return {
    baseUrl: parseBaseUrl(server, `${where} cluster ${clusterName}`),
    token,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined || key === undefined ? {} : { cert, key }),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
  };
}

/** The `<kind>` body of the entry called `name` in a list of `{name, <kind>}`. */
function named(list: unknown, name: string, kind: string, where: string): Record<string, unknown> {
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isRecord(entry) && entry['name'] === name) {
        const body = entry[kind];
        return isRecord(body) ? body : {};
      }
    }
  }
  throw bad(where, `no ${kind} named ${JSON.stringify(name)}`);
}

function bad(where: string, what: string): SidecarError {
  return new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: ${what}`);
}
