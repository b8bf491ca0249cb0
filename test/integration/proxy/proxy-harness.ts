import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { systemClock } from '../../../src/core/index.js';
import { FrontendSet, type FrontendSetOptions, type FrontendStats, type ProxyRoute } from '../../../src/proxy/frontend-set.js';
import type { EndpointPicker, ProxyEndpoint } from '../../../src/proxy/forwarder.js';
import { captureLogger } from '../../helpers/log-capture.js';

/** A backend on 127.0.0.1 (`port`, default any free one). `echo` pipes bytes back (half-close aware); `named` answers its name and ends. */
export interface Backend {
  readonly endpoint: ProxyEndpoint;
  readonly server: Server;
  /** Connections it accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

export async function startBackend(kind: 'echo' | { name: string }, port = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (kind === 'echo') socket.pipe(socket);
    else socket.end(kind.name);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    endpoint: { key: `127.0.0.1:${bound}`, ip: '127.0.0.1', port: bound },
    server,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound once, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function deadEndpoint(port: number): ProxyEndpoint {
  return { key: `127.0.0.1:${port}`, ip: '127.0.0.1', port };
}

/** Plain round robin with skip, like the real one. */
export function roundRobin(endpoints: readonly ProxyEndpoint[]): EndpointPicker {
  let i = 0;
  return {
    next(skip) {
      for (let n = 0; n < endpoints.length; n++) {
        const e = endpoints[i % endpoints.length];
        i++;
        if (e !== undefined && (skip === undefined || !skip(e))) return e;
      }
      return undefined;
    },
  };
}

/** Connects, writes `payload`, half-closes, and collects everything until the peer's FIN. */
export function exchange(port: number, payload: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before end')));
    socket.end(payload);
  });
}

/** An open connection that echoes one message at a time. */
export interface OpenConnection {
  readonly socket: Socket;
  /** Writes `text` and waits until it comes back. */
  roundTrip(text: string): Promise<string>;
  readonly closed: Promise<void>;
}

export async function open(port: number): Promise<OpenConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    roundTrip: (text) =>
      new Promise((resolve, reject) => {
        let got = '';
        const onData = (c: Buffer): void => {
          got += c.toString();
          if (got.length >= text.length) {
            socket.off('data', onData);
            resolve(got);
          }
        };
        socket.on('data', onData);
        socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(got)}`)));
        socket.write(text);
      }),
  };
}

/** Resolves true when the socket is closed within `ms`, false otherwise. */
export function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([closed.then(() => true), late]).finally(() => clearTimeout(timer));
}

/**
 * A FrontendSet on 127.0.0.1 with its captured log, backends started through it, each port's
 * stats, and a one-port TCP route; everything is closed after the test.
 */
export async function frontendSetFixture(t: { after(fn: () => Promise<void>): void }, options: Partial<FrontendSetOptions> = {}) {
  const { logger, records } = captureLogger();
  const set = new FrontendSet({ bindIp: '127.0.0.1', logger, clock: systemClock, ...options });
  const backends: Backend[] = [];
  t.after(async () => {
    await set.close();
    await Promise.all(backends.map((b) => b.close()));
  });
  const backend = async (kind: Parameters<typeof startBackend>[0]): Promise<Backend> => {
    const b = await startBackend(kind);
    backends.push(b);
    return b;
  };
  const statsOf = (port: number): FrontendStats => {
    const s = set.stats().find((l) => l.port === port);
    assert.ok(s, `no stats for port ${port}`);
    return s;
  };
  const route = (port: number, picker: EndpointPicker, rejoined?: readonly string[]): Map<number, ProxyRoute> =>
    new Map([[port, { picker, mode: 'tcp', ...(rejoined === undefined ? {} : { rejoined }) }]]);
  return { set, records, backend, statsOf, route };
}
