import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../../core/index.js';
import { BearerToken } from './bearer-token.js';
import { parseBaseUrl, readOptionalPem, type KubeConnection } from './kube-connection.js';
import { readKubeconfig } from './kubeconfig.js';

export interface KubeConnectionSettings {
  /** --kube-api-url ('' = not set). */
  readonly kubeApiUrl: string;
  /** K8S_KUBE_API_IP ('' = not set). */
  readonly kubeApiIp: string;
  /** K8S_KUBE_API_PORT (0 = not set). */
  readonly kubeApiPort: number;
  /** K8S_CREDS_PATH: `token` and `ca.crt`. */
  readonly kubeCredsPath: string;
  /** KUBERNETES_SERVICE_HOST / _PORT and KUBECONFIG are read from here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
}

/**
 * Chooses the connection, first match wins:
 * 1. `--kube-api-url` (K8S_KUBE_API_URL): http or https, on every port; token and CA from K8S_CREDS_PATH when present;
 * 2. K8S_KUBE_API_IP and/or K8S_KUBE_API_PORT set: the Go rule (`https` only on port 443, default
 *    127.0.0.1:8080); token and CA from K8S_CREDS_PATH when present;
 * 3. in a pod (KUBERNETES_SERVICE_HOST and _PORT): https, the service-account token and CA;
 * 4. `KUBECONFIG`: its current context (token and client-certificate users only);
 * 5. the Go defaults, `http://127.0.0.1:8080` (e.g. `kubectl proxy --port 8080`).
 * Throws SidecarError(CONFIG_INVALID) when the chosen way cannot work (bad URL, unreadable CA,
 * an exec plugin in the kubeconfig), so start-up stops with one clear message.
 */
export function resolveKubeConnection(s: KubeConnectionSettings): KubeConnection {
  const credsFromFolder = (): Pick<KubeConnection, 'token' | 'ca'> => {
    const ca = readOptionalPem(join(s.kubeCredsPath, 'ca.crt'), 'K8S_CREDS_PATH');
    return { token: BearerToken.fromFile(join(s.kubeCredsPath, 'token'), s.clock), ...(ca === undefined ? {} : { ca }) };
  };
  if (s.kubeApiUrl !== '') {
    return { baseUrl: parseBaseUrl(s.kubeApiUrl, '--kube-api-url (K8S_KUBE_API_URL)'), source: 'kube-api-url', ...credsFromFolder() };
  }
  if (s.kubeApiIp !== '' || s.kubeApiPort !== 0) {
    return { baseUrl: goUrl(s.kubeApiIp, s.kubeApiPort), source: 'go-settings', ...credsFromFolder() };
  }
  const host = s.env['KUBERNETES_SERVICE_HOST'];
  const port = s.env['KUBERNETES_SERVICE_PORT'];
  if (host !== undefined && host !== '' && port !== undefined && port !== '') {
    const hostPart = isIP(host) === 6 ? `[${host}]` : host;
    return { baseUrl: parseBaseUrl(`https://${hostPart}:${port}`, 'KUBERNETES_SERVICE_HOST/_PORT'), source: 'in-cluster', ...credsFromFolder() };
  }
  const kubeconfig = s.env['KUBECONFIG'];
  if (kubeconfig !== undefined && kubeconfig !== '') {
    // Like kubectl, the first file of the list; merging several files is not supported.
    const file = kubeconfig.split(':').find((f) => f !== '') ?? kubeconfig;
    return { ...readKubeconfig(file, s.clock), source: 'kubeconfig' };
  }
  return { baseUrl: goUrl('', 0), source: 'go-defaults', ...credsFromFolder() };
}

/** The Go rule: `<ip>:<port>`, https only when the port is 443. */
function goUrl(ip: string, port: number): URL {
  const host = ip === '' ? '127.0.0.1' : ip;
  const p = port === 0 ? 8080 : port;
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  return parseBaseUrl(`${p === 443 ? 'https' : 'http'}://${hostPart}:${p}`, 'K8S_KUBE_API_IP/K8S_KUBE_API_PORT');
}

