import { ErrorCode, SidecarError, boundedFileProblem, readBoundedFile } from '../core/index.js';

/** Longest token file read, in bytes: tokens are short; a bigger file is a wrong path. */
export const MAX_API_TOKEN_FILE_BYTES = 4096;

/** The token mutations need and where it came from (for the log: never the token itself). */
export interface ApiToken {
  readonly token: string | undefined;
  /** `SIDECAR_API_TOKEN`, `file <path>` or `none`. */
  readonly source: string;
}

/**
 * The API token from the environment's `SIDECAR_API_TOKEN` (which wins) or from a file
 * (`--api-token-file`), trimmed. A file that cannot be read, is too big or holds only
 * whitespace stops start-up with API_TOKEN naming the file (never its content).
 */
export function loadApiToken(fromEnv: string, file: string): ApiToken {
  const envToken = fromEnv.trim();
  if (envToken !== '') return { token: envToken, source: 'SIDECAR_API_TOKEN' };
  if (file === '') return { token: undefined, source: 'none' };
  const text = readBounded(file, MAX_API_TOKEN_FILE_BYTES, 'API token file').toString('utf8').trim();
  if (text === '') throw new SidecarError(ErrorCode.API_TOKEN, `API token file ${file} is empty; put the token in it or unset --api-token-file`);
  if (/\s/.test(text)) throw new SidecarError(ErrorCode.API_TOKEN, `API token file ${file} holds whitespace inside the token; a token is one word`);
  return { token: text, source: `file ${file}` };
}

/** A whole file of at most `maxBytes`; errors name the file and what it was for. */
function readBounded(file: string, maxBytes: number, what: string): Buffer {
  const read = readBoundedFile(file, maxBytes);
  if (read.ok) return read.bytes;
  throw new SidecarError(ErrorCode.API_TOKEN, `${what} ${file} ${read.problem === 'too-big' ? 'is' : 'cannot be read:'} ${boundedFileProblem(read, maxBytes)}`);
}
