import { createSecureContext } from 'node:tls';
import { ErrorCode, SidecarError, boundedFileProblem, readBoundedFile } from '../core/index.js';

/** Largest certificate chain or key file read, in bytes: a PEM chain is a few KiB. */
const MAX_PEM_FILE_BYTES = 1024 * 1024;

export interface ApiTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * The API's certificate and key (PEM), read once at start. Both or neither: one alone, a
 * file that cannot be read or is too big, or a pair Node's TLS refuses stops start-up with
 * API_TLS naming the file.
 */
export function loadApiTls(certFile: string, keyFile: string): ApiTls | undefined {
  if (certFile === '' && keyFile === '') return undefined;
  if (certFile === '' || keyFile === '') {
    const missing = certFile === '' ? '--api-tls-cert (SIDECAR_API_TLS_CERT)' : '--api-tls-key (SIDECAR_API_TLS_KEY)';
    throw new SidecarError(ErrorCode.API_TLS, `HTTPS for the API needs both a certificate and a key; ${missing} is not set`);
  }
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'private key');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new SidecarError(ErrorCode.API_TLS, `API TLS: certificate ${certFile} and key ${keyFile} are not a usable pair: ${(err as Error).message}`, { cause: err });
  }
  return { cert, key };
}

function readPem(file: string, what: string): Buffer {
  const read = readBoundedFile(file, MAX_PEM_FILE_BYTES);
  if (read.ok) return read.bytes;
  throw new SidecarError(ErrorCode.API_TLS, `API TLS ${what} file ${file} cannot be used: ${boundedFileProblem(read, MAX_PEM_FILE_BYTES)}`);
}
