import * as http from 'node:http';
import * as https from 'node:https';
import { errorMessage, redactUrls } from '../core/index.js';
import { ABORTED_OUTCOME, type CheckOutcome, type Checker } from './checker.js';
import { failureOutcome } from './local-shortage-outcome.js';

/** Redirects followed before giving up: 10, like Go's `http.Get`. */
export const DEFAULT_MAX_REDIRECTS = 10;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'sidecar-node-health/1';

type Hop = { readonly status: number; readonly location: string | undefined } | CheckOutcome;

/** Starts one GET (`http.get` or `https.get` by the URL's protocol); tests pass a fake. */
export type HttpGetFn = (url: URL, options: http.RequestOptions, callback: (response: http.IncomingMessage) => void) => http.ClientRequest;

const defaultGet: HttpGetFn = (url, options, callback) => (url.protocol === 'https:' ? https : http).get(url, options, callback);

/**
 * `HttpGet`: GET the URL in the args, following redirects. A 2xx answer is healthy, any other
 * status sickly, no answer (refused, reset, DNS, bad URL) unknown — as the Go Sidecar's
 * `HttpGetCmd`. Only the status line and headers are read: the body is never waited for and the
 * connection is closed at once (`agent: false`, so no keep-alive socket outlives the check).
 * There is no timeout here: the monitor aborts the run through its signal. A request this host
 * cannot make (out of descriptors or ports) is a local shortage, not a failure of the service.
 * URLs in error texts are redacted (userinfo and query values).
 */
export class HttpGetChecker implements Checker {
  constructor(
    private readonly maxRedirects: number = DEFAULT_MAX_REDIRECTS,
    private readonly get: HttpGetFn = defaultGet,
  ) {}

  async run(args: string, signal: AbortSignal): Promise<CheckOutcome> {
    let url: URL;
    try {
      url = new URL(args.trim());
    } catch {
      return { result: 'unknown', error: `invalid URL "${redactUrls(args)}"` };
    }
    for (let redirects = 0; ; redirects++) {
      if (signal.aborted) return ABORTED_OUTCOME;
      const hop = await getOnce(url, signal, this.get);
      if ('result' in hop) return hop;
      if (REDIRECT_STATUSES.has(hop.status) && hop.location !== undefined) {
        if (redirects >= this.maxRedirects) {
          return { result: 'sickly', error: `stopped after ${this.maxRedirects} redirects (HTTP ${hop.status})` };
        }
        try {
          url = new URL(hop.location, url);
        } catch {
          return { result: 'unknown', error: `invalid redirect Location "${redactUrls(hop.location)}"` };
        }
        continue;
      }
      if (hop.status >= 200 && hop.status < 300) return { result: 'healthy' };
      return { result: 'sickly', error: `HTTP ${hop.status} from ${redactUrls(url.href)}` };
    }
  }
}

/** One GET: resolves with the status and Location, or with an `unknown` outcome. Never rejects. */
function getOnce(url: URL, signal: AbortSignal, get: HttpGetFn): Promise<Hop> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve({ result: 'unknown', error: `unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"` });
  }
  return new Promise<Hop>((resolve) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    const settle = (hop: Hop): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(hop);
    };
    const onAbort = (): void => {
      request?.destroy();
      settle(ABORTED_OUTCOME);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      request = get(url, { agent: false, headers: { 'user-agent': USER_AGENT } }, (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        // Go closes the body without reading it; so do we (the body may be large or endless).
        response.on('error', () => undefined);
        response.destroy();
        settle({ status, location });
      });
    } catch (err) {
      // Synchronous throws: invalid header characters, bad host…
      settle(failureOutcome(err, redactUrls(errorMessage(err))));
      return;
    }
    request.on('error', (err) => settle(failureOutcome(err, redactUrls(errorMessage(err)))));
  });
}
