// A TCP backend for the fast path's system test, run inside a network namespace:
//   bin/node24 name-server.mjs NAME PORT
// Each connection gets "NAME\n", then its bytes echoed. Prints "listening" once bound; exits on SIGTERM.
import { createServer } from 'node:net';

const [name = 'backend', port = '9000'] = process.argv.slice(2);
const server = createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.write(`${name}\n`);
  socket.pipe(socket);
});
server.listen(Number(port), '0.0.0.0', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
