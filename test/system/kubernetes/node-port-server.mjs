// What kube-proxy's NodePorts lead to on a Kubernetes node, for test/system/kubernetes, run
// inside the node's network namespace:
//   bin/node24 node-port-server.mjs NAME IP HTTP_PORT TCP_PORT
// HTTP_PORT answers every request with "NAME http, client <the peer's address>\n"; TCP_PORT
// writes "NAME tcp, client <the peer's address>\n" and closes. Both are bound to IP (the node's
// InternalIP), so a client's answer shows which host it came from. Prints "listening" once
// both are bound; exits on SIGTERM.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

const [name = 'backend', ip = '0.0.0.0', httpPort = '30080', tcpPort = '30081'] = process.argv.slice(2);
const http = createHttpServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`${name} http, client ${req.socket.remoteAddress}\n`);
});
const tcp = createTcpServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.end(`${name} tcp, client ${socket.remoteAddress}\n`);
});
let bound = 0;
const listening = () => {
  if (++bound === 2) process.stdout.write('listening\n');
};
http.listen(Number(httpPort), ip, listening);
tcp.listen(Number(tcpPort), ip, listening);
process.on('SIGTERM', () => process.exit(0));
