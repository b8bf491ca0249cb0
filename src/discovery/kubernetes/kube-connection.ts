import { ErrorCode, SidecarError, boundedFileProblem, readBoundedFile } from '../../core/index.js';
import type { BearerToken } from './bearer-token.js';

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
  throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: cannot use ${file}: ${boundedFileProblem(read, MAX_CREDENTIAL_FILE_BYTES)}`);
}

/** A file that must be there (kubeconfig paths). */
export function readRequiredFile(file: string, where: string): Buffer {
  const read = readBoundedFile(file, MAX_CREDENTIAL_FILE_BYTES);
  if (read.ok) return read.bytes;
  throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: cannot read ${file}: ${boundedFileProblem(read, MAX_CREDENTIAL_FILE_BYTES)}`);
}
