import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { systemClock } from '../../../../src/core/index.js';
import { FrontendSet, type FrontendSetOptions, type FrontendStats, type ProxyRoute } from '../../../../src/proxy/frontend-set.js';
import type { ProxyEndpoint } from '../../../../src/proxy/forwarder.js';
import { captureLogger } from '../../../helpers/log-capture.js';
import { freePort, roundRobin } from '../proxy-harness.js';

/** What a backend saw of one request. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

export interface HttpBackend {
  readonly name: string;
  readonly endpoint: ProxyEndpoint;
  readonly server: Server;
  readonly seen: Seen[];
  /** Open TCP connections to this backend now. */
  connections(): Promise<number>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** Answers `<name>` (text/plain) unless `handler` is given; records every request. */
export async function httpBackend(name: string, handler?: Handler): Promise<HttpBackend> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (handler !== undefined) handler(req, res, body);
      else {
        res.setHeader('content-type', 'text/plain');
        res.setHeader('x-backend', name);
        res.end(name);
      }
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    endpoint: { key: `${name}-${port}`, ip: '127.0.0.1', port },
    server,
    seen,
    connections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Plain round robin with skip (the proxy harness's). */
export const picker = roundRobin;

export interface Proxy {
  readonly set: FrontendSet;
  readonly port: number;
  route(endpoints: readonly ProxyEndpoint[], mode?: string): Promise<void>;
  stats(): FrontendStats;
  backend(name: string, handler?: Handler): Promise<HttpBackend>;
}

/** A FrontendSet on 127.0.0.1 with one HTTP port; everything is closed after the test. */
export async function setupProxy(t: { after(fn: () => Promise<void>): void }, options: Partial<FrontendSetOptions> = {}): Promise<Proxy> {
  const { logger } = captureLogger();
  const set = new FrontendSet({ bindIp: '127.0.0.1', logger, clock: systemClock, ...options });
  const port = await freePort();
  const backends: HttpBackend[] = [];
  t.after(async () => {
    await set.close();
    await Promise.all(backends.map((b) => b.close()));
  });
  return {
    set,
    port,
    route: (endpoints, mode = 'http') => set.apply(new Map<number, ProxyRoute>([[port, { picker: picker(endpoints), mode, serviceName: 'svc' }]])),
    stats: () => {
      const s = set.stats().find((l) => l.port === port);
      if (s === undefined) throw new Error('no stats');
      return s;
    },
    backend: async (name, handler) => {
      const b = await httpBackend(name, handler);
      backends.push(b);
      return b;
    },
  };
}

/** A parsed response read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

/** A raw client connection that reads whole responses (Content-Length, chunked, or none). */
export class RawClient {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Bytes received and not yet returned by read(). */
  buffered(): string {
    return this.buf.toString('latin1');
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Reads one response; `noBody` for HEAD/1xx/204/304. */
  async read(noBody = false): Promise<RawResponse> {
    let end: number;
    while ((end = this.buf.indexOf('\r\n\r\n')) < 0) await this.more();
    const head = this.buf.toString('latin1', 0, end);
    const lines = head.split('\r\n');
    const status = Number((lines[0] ?? '').split(' ')[1]);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
    }
    this.buf = this.buf.subarray(end + 4);
    if (noBody || status < 200 || status === 204 || status === 304) return { status, head, headers, body: Buffer.alloc(0) };
    const cl = headers.get('content-length');
    if (cl !== undefined) {
      const n = Number(cl);
      while (this.buf.length < n) await this.more();
      const body = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      return { status, head, headers, body };
    }
    if (headers.get('transfer-encoding') === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        let lineEnd: number;
        while ((lineEnd = this.buf.indexOf('\r\n')) < 0) await this.more();
        const size = parseInt(this.buf.toString('latin1', 0, lineEnd), 16);
        this.buf = this.buf.subarray(lineEnd + 2);
        if (size === 0) {
          while (this.buf.indexOf('\r\n') < 0) await this.more();
          this.buf = this.buf.subarray(this.buf.indexOf('\r\n') + 2);
          return { status, head, headers, body: Buffer.concat(parts) };
        }
        while (this.buf.length < size + 2) await this.more();
        parts.push(this.buf.subarray(0, size));
        this.buf = this.buf.subarray(size + 2);
      }
    }
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const body = this.buf;
    this.buf = Buffer.alloc(0);
    return { status, head, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

export function get(path = '/', extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: svc.local\r\n${extra}\r\n`;
}
