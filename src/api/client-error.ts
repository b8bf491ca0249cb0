import type { Duplex } from 'node:stream';
import type { Logger } from '../core/index.js';
import { resetSocket } from './reset-socket.js';

/**
 * After an error answer (400, 408, 431) is sent with a FIN, how long the client gets to read
 * it before the socket is reset. Without this a client that never closes its side keeps
 * our socket in FIN-WAIT-2 with its fd for ever (Node waits for the peer's FIN). 1 s is
 * plenty for a short answer on any network that can reach the API.
 */
export const ERROR_CLOSE_GRACE_MS = 1000;

/**
 * The server's `clientError` handler: a malformed request, an oversized head or a head that
 * did not arrive in time gets Go's plain-text answer and the connection is closed; the
 * socket is reset {@link ERROR_CLOSE_GRACE_MS} later if the client has not closed it.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  log.debug({ err: err.message, code: err.code }, 'Malformed HTTP request');
  // Node's own default handler does the same check: never write into a response in progress.
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`);
  const timer = setTimeout(() => resetSocket(socket), ERROR_CLOSE_GRACE_MS).unref();
  socket.once('close', () => clearTimeout(timer));
}
