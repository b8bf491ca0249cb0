import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { encodeGoJson } from '../core/index.js';
import { escapeHtml } from './html-escape.js';

/**
 * Response writers that reproduce what Go's net/http and gorilla/mux sent, so clients of
 * the Go Sidecar see the same status lines, content types and bodies.
 */

/** The CORS headers the Go Sidecar put on its read endpoints. */
export const CORS_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET',
};

export const JSON_TYPE = 'application/json';

/** A complete response with a known length. */
export function sendBody(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer | string): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'Content-Length': bytes.length });
  res.end(bytes);
}

/** A response with no body (Go: a handler that only set headers). */
export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/** The Go Sidecar's `sendJsonError`: compact `{"message":…,"status":"error"}`. */
export function sendJsonError(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  const body = encodeGoJson(
    new Map([
      ['message', message],
      ['status', 'error'],
    ]),
  );
  sendBody(res, status, { ...headers, 'Content-Type': JSON_TYPE }, body);
}

/** Go's `http.Error(w, text, status)`: plain text with a trailing newline. */
export function sendTextError(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  sendBody(
    res,
    status,
    { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    `${text}\n`,
  );
}

/** Go's `http.NotFound`. */
export function sendNotFound(res: ServerResponse): void {
  sendTextError(res, 404, '404 page not found');
}

/** gorilla/mux's method-not-allowed answer: status only. */
export function sendMethodNotAllowed(res: ServerResponse): void {
  sendEmpty(res, 405);
}

/**
 * Go's `http.Redirect` with an absolute-path location: `Location`, and for GET a short
 * HTML body (`<a href="/ui/">Moved Permanently</a>.` and two newlines).
 */
export function sendRedirect(res: ServerResponse, method: string, location: string, status = 301): void {
  const target = hexEscapeNonAscii(location);
  const headers: OutgoingHttpHeaders = { Location: target };
  if (method === 'GET' || method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8';
  if (method !== 'GET') {
    sendEmpty(res, status, headers);
    return;
  }
  sendBody(res, status, headers, `<a href="${escapeHtml(target)}">Moved Permanently</a>.\n\n`);
}

/** A bare redirect with no body (gorilla's path cleaning, Go's FileServer `index.html`). */
export function sendBareRedirect(res: ServerResponse, location: string): void {
  sendEmpty(res, 301, { Location: hexEscapeNonAscii(location) });
}

/** Bytes of a latin1 header value above 0x7f become `%XX` (Go's `hexEscapeNonASCII`). */
function hexEscapeNonAscii(value: string): string {
  return value.replace(/[\u0080-\uffff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `%${code.toString(16).toUpperCase()}` : encodeURIComponent(c);
  });
}
