// A TCP client for the fast path's system test, run inside a network namespace:
//   bin/node24 tcp-probe.mjs HOST PORT COUNT   COUNT connections one after another; prints a JSON
//                                              array of the first line each got (or "error:CODE")
//   bin/node24 tcp-probe.mjs HOST PORT hold    one connection: prints its first line, then sends each
//                                              stdin line and prints the echo; closes at stdin's end
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const [host = '127.0.0.1', port = '0', mode = '1'] = process.argv.slice(2);
const TIMEOUT_MS = 3000;

function open() {
  const socket = connect({ host, port: Number(port) });
  socket.setTimeout(TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  return { socket, lines: createInterface({ input: socket })[Symbol.asyncIterator]() };
}

async function firstLine() {
  const { socket, lines } = open();
  try {
    const next = await lines.next();
    return next.done ? 'error:CLOSED' : next.value;
  } catch (err) {
    return `error:${err.code ?? err.message}`;
  } finally {
    socket.destroy();
  }
}

if (mode === 'hold') {
  const { socket, lines } = open();
  socket.on('error', (err) => {
    process.stdout.write(`error:${err.code ?? err.message}\n`);
    process.exit(1);
  });
  socket.setTimeout(0);
  const name = await lines.next();
  process.stdout.write(`${name.value}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    socket.write(`${line}\n`);
    const echo = await lines.next();
    process.stdout.write(`${echo.value}\n`);
  }
  socket.destroy();
} else {
  const names = [];
  for (let i = 0; i < Number(mode); i++) names.push(await firstLine());
  process.stdout.write(`${JSON.stringify(names)}\n`);
}
