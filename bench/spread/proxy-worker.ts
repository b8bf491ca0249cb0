// One proxy worker of bench/worker-spread.ts: serves client connections by forwarding them to
// the echo backend, as the product's TCP mode does. Mode A (reusePort): it listens on the shared
// port itself. Mode B (handoff): the main thread accepts and transfers each socket here, paused.
// Mode C (balanced): as A, with the product's ConnectionBalancer handing connections between workers.
// On { type: 'stall' } it blocks its event loop (a busy loop), like a long GC pause or a slow
// synchronous task would.
import { connect, createServer, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../../src/core/index.js';
import { ConnectionBalancer, HEARTBEAT_INTERVAL_MS } from '../../src/proxy/workers/connection-balancer.js';
import { ACCEPTED, OPEN, REQUEST_BYTES, REQUESTS, SLOTS, type FromProxyWorker, type ProxyWorkerData, type ToProxyWorker } from './protocol.js';

const data = workerData as ProxyWorkerData;
const port = parentPort;
if (port === null) throw new Error('proxy-worker.ts runs as a worker thread');
const counters = new Int32Array(data.counters);
const base = data.index * SLOTS;
const post = (msg: FromProxyWorker): void => port.postMessage(msg);

function serve(client: Socket): void {
  Atomics.add(counters, base + ACCEPTED, 1);
  client.setNoDelay(true);
  const upstream = connect({ port: data.backendPort, host: '127.0.0.1', noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  const fail = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', fail);
  upstream.on('error', fail);
  client.once('close', () => {
    upstream.destroy();
    Atomics.add(counters, base + REQUESTS, Math.floor(client.bytesRead / REQUEST_BYTES));
    Atomics.sub(counters, base + OPEN, 1);
  });
}

function stall(ms: number): void {
  post({ type: 'stalling' });
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // blocked on purpose: nothing else runs on this thread meanwhile
  }
}

port.on('message', (msg: ToProxyWorker) => {
  switch (msg.type) {
    case 'conn':
      // Already counted open by the main thread when it chose this worker.
      msg.socket.resume();
      serve(msg.socket);
      return;
    case 'stall':
      stall(msg.ms);
      return;
  }
});

/** Mode C: the product's balancer between the workers. */
const balancer =
  data.balance === undefined
    ? undefined
    : new ConnectionBalancer(data.index, new Int32Array(data.balance.load), new Float64Array(data.balance.heartbeats), systemClock, (_port, socket) => take(socket));
if (balancer !== undefined && data.balance !== undefined) {
  balancer.start();
  for (const peer of data.balance.peers) balancer.addPeer(peer.index, peer.port);
  setInterval(() => balancer.beat(), HEARTBEAT_INTERVAL_MS).unref();
}

function take(socket: Socket): void {
  balancer?.track(socket);
  Atomics.add(counters, base + OPEN, 1);
  socket.resume();
  serve(socket);
}

if (data.mode === 'reusePort' || data.mode === 'balanced') {
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    if (balancer !== undefined && balancer.divert(socket, data.port)) return;
    take(socket);
  });
  server.listen({ port: data.port, host: '127.0.0.1', reusePort: true, backlog: 511 }, () => post({ type: 'ready' }));
} else {
  post({ type: 'ready' });
}
