import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { silentLogger, type Logger } from '../../../src/core/index.js';
import { ServiceStatus, type Service, type ServicesState } from '../../../src/catalog/index.js';
import { ApiServer, type ApiMember, type ApiServerOptions } from '../../../src/api/index.js';
import { makeService, makeState, ts, type StateFixture } from '../../helpers/catalog.js';

/**
 * The fixed cluster the golden files describe (clock at 2023-11-14T10:21:40Z, this host
 * `chaucer`), added in this order so server and state timestamps are known:
 * - shakespeare/cafebabe001 `dante`, TOMBSTONE, 08:00:00Z, image with `<`, `>` and `&`
 * - chaucer/deadbeef000 `a.b` (a dot in the name), ALIVE, 10:21:30Z, no ports (null)
 * - chaucer/deadbeef456 `shakespeare`, UNHEALTHY, 10:21:33Z, no ports, empty ProxyMode
 * - chaucer/deadbeef123 `bocaccio`, ALIVE, 10:21:34.5Z, one tcp port
 * - shakespeare/deadbeef789 `bocaccio`, DRAINING, 10:21:35.25Z, a tcp and a udp port
 */
export function goldenRecords(): Service[] {
  return [
    makeService({
      id: 'cafebabe001',
      name: 'dante',
      image: 'dante:<inferno>&co',
      created: ts('2023-11-14T07:00:00Z'),
      hostname: 'shakespeare',
      ports: [],
      updated: ts('2023-11-14T08:00:00Z'),
      proxyMode: 'tcp',
      status: ServiceStatus.TOMBSTONE,
    }),
    makeService({
      id: 'deadbeef000',
      name: 'a.b',
      image: 'ab:1',
      created: ts('2023-11-14T10:21:30Z'),
      ports: null,
      updated: ts('2023-11-14T10:21:30Z'),
    }),
    makeService({
      id: 'deadbeef456',
      name: 'shakespeare',
      image: '202deadbeef',
      created: ts('2023-11-14T10:21:33Z'),
      ports: null,
      updated: ts('2023-11-14T10:21:33Z'),
      proxyMode: '',
      status: ServiceStatus.UNHEALTHY,
    }),
    makeService(),
    makeService({
      id: 'deadbeef789',
      hostname: 'shakespeare',
      ports: [
        { type: 'tcp', port: 32768, servicePort: 10100, ip: '10.0.0.2' },
        { type: 'udp', port: 32769, servicePort: 0, ip: '10.0.0.2' },
      ],
      updated: ts('2023-11-14T10:21:35.25Z'),
      status: ServiceStatus.DRAINING,
    }),
  ];
}

export const GOLDEN_MEMBERS: readonly ApiMember[] = [{ name: 'shakespeare' }, { name: 'chaucer' }, { name: 'marlowe' }];

export interface ApiFixture extends StateFixture {
  readonly api: ApiServer;
  readonly port: number;
  members: readonly ApiMember[];
  readonly drained: string[];
  close(): Promise<void>;
}

/** The golden state behind an ApiServer on 127.0.0.1, port 0. */
export async function startApi(
  options: { records?: readonly Service[]; logger?: Logger; extra?: Partial<ApiServerOptions> } = {},
): Promise<ApiFixture> {
  const fixture = makeState();
  for (const record of options.records ?? goldenRecords()) fixture.state.addServiceEntry(record);
  const drained: string[] = [];
  const holder: { members: readonly ApiMember[] } = { members: GOLDEN_MEMBERS };
  const api = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    state: fixture.state,
    members: () => holder.members,
    drain: (id) => drainLocal(fixture.state, fixture, id, drained),
    logger: options.logger ?? silentLogger(),
    clock: fixture.clock,
    ...options.extra,
  });
  await api.start();
  return {
    ...fixture,
    api,
    port: api.address().port,
    get members() {
      return holder.members;
    },
    set members(value) {
      holder.members = value;
    },
    drained,
    close: () => api.close(),
  };
}

/** What the daemon does on drain: the local record goes DRAINING with Updated = now. */
function drainLocal(state: ServicesState, fixture: StateFixture, id: string, drained: string[]): Service | undefined {
  const svc = state.getLocalServiceById(id);
  if (svc === undefined) return undefined;
  drained.push(id);
  state.addServiceEntry({ ...svc, status: ServiceStatus.DRAINING, updated: fixture.stamps.now() });
  return svc;
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request with node:http (path sent as given). */
export function fetchRaw(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes on a fresh TCP connection and returns everything the server sent until it closed (or `timeoutMs`). */
export function sendRawBytes(port: number, bytes: string | Buffer, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}
