import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/index.js';
import { statusName } from '../daemon/index.js';

/** A tiny HTTP service for `sidecar demo`: answers `/`, `/version` and takes listener POSTs. */
export interface DemoBackend {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Upper bound of a listener POST body the demo reads (1 MiB); larger bodies are refused. */
const MAX_EVENT_BYTES = 1 << 20;

export async function startDemoBackend(name: string, logger: Logger): Promise<DemoBackend> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/sidecar/update') {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_EVENT_BYTES) chunks.push(chunk);
      });
      req.on('end', () => {
        if (size > MAX_EVENT_BYTES) {
          res.writeHead(413).end();
          return;
        }
        logEvent(name, Buffer.concat(chunks).toString('utf8'), logger);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      return;
    }
    const body = JSON.stringify({ backend: name, path: req.url, time: new Date().toISOString() });
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${body}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function logEvent(backend: string, body: string, logger: Logger): void {
  try {
    const event = JSON.parse(body) as { ChangeEvent?: { Service?: { Name?: string; ID?: string; Status?: number }; PreviousStatus?: number } };
    const svc = event.ChangeEvent?.Service;
    const status = svc?.Status;
    const previous = event.ChangeEvent?.PreviousStatus;
    logger.info(
      {
        backend,
        service: svc?.Name,
        id: svc?.ID,
        ...(status === undefined ? {} : { status: statusName(status), statusCode: status }),
        ...(previous === undefined ? {} : { previous: statusName(previous), previousCode: previous }),
      },
      'Demo backend received a Sidecar change event',
    );
  } catch {
    logger.warn({ backend }, 'Demo backend received a change event it could not parse');
  }
}
