import type { Duplex } from 'node:stream';

/**
 * Closes a socket at once with a reset, so the kernel frees it (and what it queued) instead
 * of keeping it in FIN-WAIT-2 or flushing a send queue to a peer that does not read. TLS
 * sockets cannot be reset by Node (their handle is not a TCP one): they are destroyed.
 */
export function resetSocket(socket: Duplex): void {
  const reset = (socket as Duplex & { resetAndDestroy?: () => unknown }).resetAndDestroy;
  if (typeof reset === 'function') {
    try {
      reset.call(socket);
      return;
    } catch {
      // ERR_INVALID_HANDLE_TYPE (TLS) or a socket without a handle: plain destroy below.
    }
  }
  socket.destroy();
}
