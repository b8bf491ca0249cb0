import type { Socket } from 'node:net';
import type { Upstream } from './upstream-pool.js';

/**
 * After a 101: the client and upstream sockets become one raw TCP stream for the rest of the
 * connection (half-close passed on, an error or an idle timeout on either side closes both).
 * `head` is the 101 head for the client, `fromUpstream` bytes that followed it, `fromClient`
 * bytes the client sent after its request head.
 */
export function spliceTunnel(
  client: Socket,
  up: Upstream,
  head: string,
  fromUpstream: Buffer | undefined,
  fromClient: Buffer | undefined,
  clientTimeoutMs: number,
  serverTimeoutMs: number,
): void {
  const socket = up.socket;
  client.removeAllListeners('data');
  client.removeAllListeners('drain');
  client.removeAllListeners('end');
  client.removeAllListeners('timeout');
  client.write(head, 'latin1');
  if (fromUpstream !== undefined) client.write(fromUpstream);
  if (fromClient !== undefined) socket.write(fromClient);
  const onTimeout = (): void => {
    client.destroy();
    socket.destroy();
  };
  client.setTimeout(clientTimeoutMs, onTimeout);
  socket.setTimeout(serverTimeoutMs, onTimeout);
  socket.on('close', () => {
    if (up.error !== undefined) client.destroy();
    else client.end();
  });
  client.on('close', () => socket.destroy());
  client.pipe(socket);
  socket.pipe(client);
  if (client.isPaused()) client.resume();
}
