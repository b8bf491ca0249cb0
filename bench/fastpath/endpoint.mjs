// An endpoint of the dead-endpoint test (bench/fastpath/dead-endpoint.ts), run in the backend host:
//   node endpoint.mjs NAME PORT HEALTH_PORT
// Each connection to PORT gets "NAME\n" and is ended; HEALTH_PORT is for the agent's Tcp check
// only, so that the SYNs counted on PORT are clients' (through the proxy or the kernel's DNAT),
// never health checks. Killing the process closes both.
import { createServer } from 'node:net';

const [name = 'endpoint', port = '9101', healthPort = '10101'] = process.argv.slice(2);
const serve = (p) =>
  new Promise((ready) => {
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(`${name}\n`);
    });
    server.listen(Number(p), '0.0.0.0', ready);
  });
await Promise.all([serve(port), serve(healthPort)]);
process.stdout.write('listening\n');
process.on('SIGTERM', () => process.exit(0));
