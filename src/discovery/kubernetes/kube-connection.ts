import { isIP } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, SidecarError, readBoundedFile, type Clock } from '../../core/index.js';
import { BearerToken } from './bearer-token.js';
import { readKubeconfig } from './kubeconfig.js';

/** PEM bundles and kubeconfig files are small; a bigger file is a mistake. */
export const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;

/** How the agent reaches the API server, and with which credentials. */
export interface KubeConnection {
  /** `https://10.0.0.1:6443` (no trailing slash; may carry a path prefix). */
  readonly baseUrl: URL;
  /** Which rule chose it: `--kube-api-url`, the Go settings, the pod's service account, `KUBECONFIG`, or the Go defaults. */
  readonly source: 'kube-api-url' | 'go-settings' | 'in-cluster' | 'kubeconfig' | 'go-defaults';
  readonly token: BearerToken;
  /** PEM CA bundle trusted besides the system's roots (Go: `ca.crt` added to them). */
  readonly ca?: Buffer;
  /** Client certificate and key (kubeconfig `client-certificate(-data)` users). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** kubeconfig `insecure-skip-tls-verify: true`. */
  readonly insecureSkipTlsVerify?: boolean;
}

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
 * 1. `--kube-api-url` (K8S_KUBE_API_URL): any scheme and port; token and CA from K8S_CREDS_PATH when present;
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

/** One line for the log: where, how, with what (never a secret). */
export function describeConnection(c: KubeConnection): string {
  const what: string[] = [c.token.describe()];
  if (c.ca !== undefined) what.push('CA bundle');
  if (c.cert !== undefined) what.push('client certificate');
  if (c.insecureSkipTlsVerify === true) what.push('TLS verification OFF');
  const how = {
    'kube-api-url': '--kube-api-url (K8S_KUBE_API_URL)',
    'go-settings': 'K8S_KUBE_API_IP/K8S_KUBE_API_PORT (https only on port 443, as the Go Sidecar)',
    'in-cluster': 'the pod\'s service account (KUBERNETES_SERVICE_HOST/_PORT)',
    kubeconfig: 'KUBECONFIG (current context)',
    'go-defaults': 'the Go Sidecar\'s defaults (no --kube-api-url, K8S_KUBE_API_IP, pod or KUBECONFIG found)',
  }[c.source];
  return `Kubernetes API at ${c.baseUrl.origin}${c.baseUrl.pathname === '/' ? '' : c.baseUrl.pathname}, from ${how}; ${what.join(', ')}`;
}

/** The Go rule: `<ip>:<port>`, https only when the port is 443. */
function goUrl(ip: string, port: number): URL {
  const host = ip === '' ? '127.0.0.1' : ip;
  const p = port === 0 ? 8080 : port;
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  return parseBaseUrl(`${p === 443 ? 'https' : 'http'}://${hostPart}:${p}`, 'K8S_KUBE_API_IP/K8S_KUBE_API_PORT');
}

export function parseBaseUrl(text: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: ${JSON.stringify(text)} is not an http:// or https:// URL`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

/** A PEM file that may be absent (undefined); present but unreadable or too big is an error. */
export function readOptionalPem(file: string, where: string): Buffer | undefined {
  const read = readBoundedFile(file, MAX_CREDENTIAL_FILE_BYTES);
  if (read.ok) return read.bytes;
  if (read.problem === 'open' && read.errno === 'ENOENT') return undefined;
  throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: cannot use ${file} (${read.problem}${read.errno === undefined ? '' : ` ${read.errno}`})`);
}

/** A file that must be there (kubeconfig paths). */
export function readRequiredFile(file: string, where: string): Buffer {
  const read = readBoundedFile(file, MAX_CREDENTIAL_FILE_BYTES);
  if (read.ok) return read.bytes;
  throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: cannot read ${file} (${read.problem}${read.errno === undefined ? '' : ` ${read.errno}`})`);
}
