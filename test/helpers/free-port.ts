import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/** A TCP port free on 127.0.0.1 right now (the caller binds it soon after; UDP is rarely taken). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A port free for TCP and UDP on every address, chosen below the kernel's ephemeral range
 * (32768–60999 by default), for a test that must bind the same port again later (an agent
 * restarted on its gossip port): a port from `freePort()` is in that range, so any outgoing
 * connection on the machine may take it in between.
 */
export async function stablePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await canBind(port, 'tcp')) && (await canBind(port, 'udp'))) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

async function canBind(port: number, kind: 'tcp' | 'udp'): Promise<boolean> {
  if (kind === 'tcp') {
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => resolve(true));
    });
    if (ok) await new Promise((resolve) => server.close(resolve));
    return ok;
  }
  const socket = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '0.0.0.0', () => resolve(true));
  });
  socket.close();
  return ok;
}
