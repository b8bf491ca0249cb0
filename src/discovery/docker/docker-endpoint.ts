import { join } from 'node:path';
import { ErrorCode, SidecarError } from '../../core/index.js';

/** Where the Docker Engine listens, resolved from DOCKER_URL or the Docker environment. */
export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly url: string; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly url: string;
      readonly host: string;
      readonly port: number;
      readonly protocol: 'http' | 'https';
      /** Directory with `ca.pem`, `cert.pem`, `key.pem` (DOCKER_CERT_PATH), for https. */
      readonly certPath: string | null;
    };

/** The Engine's default socket, also Docker's default for an unset DOCKER_HOST. */
export const DEFAULT_DOCKER_URL = 'unix:///var/run/docker.sock';

/**
 * Resolves the Engine address like the Go Sidecar: `DOCKER_URL` when it is non-empty
 * (`unix:///path`, `tcp://host:port`, `http://…`, `https://…`); when it is the empty string,
 * the standard Docker variables, as go-dockerclient's NewClientFromEnv reads them:
 * `DOCKER_HOST` (default the unix socket), TLS when `DOCKER_TLS_VERIFY` is non-empty, with
 * the certificates in `DOCKER_CERT_PATH` (default `~/.docker`).
 *
 * @throws SidecarError CONFIG_INVALID naming the variable when the address cannot be used.
 */
export function resolveDockerEndpoint(dockerUrl: string, env: Readonly<Record<string, string | undefined>>): DockerEndpoint {
  if (dockerUrl !== '') return parseDockerUrl(dockerUrl, 'DOCKER_URL', false, null);
  const host = env['DOCKER_HOST'] ?? '';
  const tls = (env['DOCKER_TLS_VERIFY'] ?? '') !== '';
  const certPath = tls ? env['DOCKER_CERT_PATH'] || join(env['HOME'] ?? '', '.docker') : null;
  return parseDockerUrl(host === '' ? DEFAULT_DOCKER_URL : host, 'DOCKER_HOST', tls, certPath);
}

function parseDockerUrl(url: string, variable: string, tls: boolean, certPath: string | null): DockerEndpoint {
  const bad = (why: string): SidecarError =>
    new SidecarError(ErrorCode.CONFIG_INVALID, `${variable}: ${JSON.stringify(url)} ${why} (expected unix:///path/to/docker.sock or tcp://host:port)`);
  const m = /^([a-z]+):\/\/(.*)$/i.exec(url);
  if (m === null) throw bad('is not a URL');
  const scheme = (m[1] ?? '').toLowerCase();
  const rest = m[2] ?? '';
  if (scheme === 'unix') {
    if (rest === '') throw bad('has no socket path');
    return { kind: 'unix', url, socketPath: rest };
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') throw bad(`uses the unsupported scheme ${scheme}://`);
  const secure = scheme === 'https' || tls;
  let parsed: URL;
  try {
    parsed = new URL(`http://${rest}`);
  } catch {
    throw bad('has no valid host');
  }
  if (parsed.hostname === '') throw bad('has no host');
  const port = parsed.port === '' ? (secure ? 2376 : 2375) : Number(parsed.port);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { kind: 'tcp', url, host, port, protocol: secure ? 'https' : 'http', certPath: secure ? certPath : null };
}
