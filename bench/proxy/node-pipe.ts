// The floor for TCP mode: the simplest Node TCP proxy there is (accept, connect, pipe both
// ways, round robin over the two backends), run on the same Node and flags as our load
// balancer. What our TCP mode adds (retries, timeouts, stats, draining) costs what it costs
// above this line; what is below it is Node's own per-socket cost.
import { connect, createServer } from 'node:net';

const port = Number(process.env['PIPE_PORT'] ?? 8093);
const backends = [9001, 9002];
let next = 0;
createServer((client) => {
  const upstream = connect({ host: '127.0.0.1', port: backends[next++ % backends.length] ?? 9001, noDelay: true });
  client.setNoDelay(true);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream).pipe(client);
}).listen(port, '127.0.0.1', () => process.stdout.write('node-pipe ready\n'));
