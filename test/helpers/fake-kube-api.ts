import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

/**
 * An in-process Kubernetes API server for tests, faithful where discovery and kubectl look:
 * - `/version`, `/api`, `/apis`, `/api/v1` discovery documents;
 * - list of pods, services, nodes (all namespaces or one), get of one object, with
 *   `fieldSelector` (`spec.nodeName`, `metadata.name`, `metadata.namespace`; `=`, `==`, `!=`)
 *   and `labelSelector` (`k`, `!k`, `k=v`, `k==v`, `k!=v`), `limit` / `continue`, and the
 *   list's `metadata.resourceVersion`;
 * - watch (`?watch=true`): newline-delimited `{"type","object"}` events after
 *   `resourceVersion` (without one: ADDED for every current object first, as the API server),
 *   objects leaving or entering the selector as DELETED / ADDED, BOOKMARK events when
 *   `allowWatchBookmarks=true`, the stream ended after `timeoutSeconds`; a version older than
 *   the kept history answers an ERROR event with a 410 `Expired` Status (as the watch cache);
 * - 401 for a missing or unknown bearer token (when tokens are set), 403 for a refused
 *   `verb resource` with the API server's wording; every error body is a `Status`.
 * Every object carries `kind`, `apiVersion`, `uid`, `resourceVersion`, `creationTimestamp`.
 * Checked against kubectl in test/integration/kubernetes/kubectl-fidelity.test.ts.
 */
export type Resource = 'pods' | 'services' | 'nodes';

const KINDS: Record<Resource, string> = { pods: 'Pod', services: 'Service', nodes: 'Node' };

export interface KubeObj {
  kind?: string;
  apiVersion?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

interface HistoryEntry {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubeObj;
  readonly previous: KubeObj | undefined;
}

export interface RequestRecord {
  readonly verb: 'list' | 'watch' | 'get' | 'discovery' | 'other';
  readonly resource: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
}

interface Watcher {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly matches: (o: KubeObj) => boolean;
  readonly res: ServerResponse;
  readonly end: () => void;
}

export interface FakeKubeApiOptions {
  /** Bearer tokens accepted; undefined = no authentication. */
  tokens?: Set<string>;
  /** `verb resource` pairs refused with 403 (`list pods`, `get nodes`). */
  forbid?: Set<string>;
  /** Time between BOOKMARK events on a watch that asked for them, in ms. Default 1000. */
  bookmarkIntervalMs?: number;
  /** Answer a too-old watch with HTTP 410 rather than an ERROR event (some proxies do). */
  expireWithHttpStatus?: boolean;
  /** Serve https with this PEM certificate and key (as a real API server). */
  tls?: { cert: string; key: string };
}

export class FakeKubeApi {
  readonly requests: RequestRecord[] = [];
  bookmarksSent = 0;
  private readonly store: Record<Resource, Map<string, KubeObj>> = { pods: new Map(), services: new Map(), nodes: new Map() };
  private history: HistoryEntry[] = [];
  /** Watches from before this version are answered 410. */
  private oldestRv = 1;
  private rv = 1;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly watchers = new Set<Watcher>();
  port = 0;

  constructor(readonly options: FakeKubeApiOptions = {}) {}

  get url(): string {
    return `${this.options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1 (port 0 = any; give the old port to come back after stop()). */
  async start(port = 0): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const server: Server = this.options.tls === undefined ? createServer(handler) : createHttpsServer(this.options.tls, handler);
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Stops listening and cuts every connection (the store is kept for start()). */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const w of this.watchers) w.end();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Creates or replaces an object (ADDED or MODIFIED). Returns it as stored. */
  put(resource: Resource, object: KubeObj): KubeObj {
    const key = keyOf(object);
    const previous = this.store[resource].get(key);
    this.rv++;
    const stored: KubeObj = {
      ...object,
      kind: KINDS[resource],
      apiVersion: 'v1',
      metadata: {
        ...object.metadata,
        uid: object.metadata.uid ?? previous?.metadata.uid ?? randomUUID(),
        resourceVersion: String(this.rv),
        creationTimestamp: object.metadata.creationTimestamp ?? previous?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(resource === 'nodes' ? {} : { namespace: object.metadata.namespace ?? 'default' }),
      },
    };
    this.store[resource].set(keyOf(stored), stored);
    this.record({ rv: this.rv, resource, type: previous === undefined ? 'ADDED' : 'MODIFIED', object: stored, previous });
    return stored;
  }

  /** Deletes an object (DELETED). */
  remove(resource: Resource, name: string, namespace = 'default'): void {
    const key = resource === 'nodes' ? `/${name}` : `${namespace}/${name}`;
    const previous = this.store[resource].get(key);
    if (previous === undefined) return;
    this.store[resource].delete(key);
    this.rv++;
    const object = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(this.rv) } };
    this.record({ rv: this.rv, resource, type: 'DELETED', object, previous });
  }

  get(resource: Resource, name: string, namespace = 'default'): KubeObj | undefined {
    return this.store[resource].get(resource === 'nodes' ? `/${name}` : `${namespace}/${name}`);
  }

  /** Forgets the history: a watch from any version before now gets 410 Expired. */
  compact(): void {
    this.history = [];
    this.oldestRv = this.rv + 1;
  }

  /** Ends every open watch stream cleanly (as the API server does on its timeout). */
  endWatches(): void {
    for (const w of this.watchers) w.end();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  count(verb: RequestRecord['verb'], resource?: string): number {
    return this.requests.filter((r) => r.verb === verb && (resource === undefined || r.resource === resource)).length;
  }

  private record(entry: HistoryEntry): void {
    this.history.push(entry);
    for (const w of this.watchers) {
      const event = this.eventFor(entry, w);
      if (event !== null) w.res.write(`${JSON.stringify(event)}\n`);
    }
  }

  private eventFor(entry: HistoryEntry, w: Watcher): { type: string; object: KubeObj } | null {
    if (w.resource !== entry.resource) return null;
    const inNs = (o: KubeObj | undefined): boolean => o !== undefined && (w.namespace === undefined || o.metadata.namespace === w.namespace) && w.matches(o);
    const now = entry.type !== 'DELETED' && inNs(entry.object);
    const before = inNs(entry.previous);
    if (entry.type === 'DELETED') return before ? { type: 'DELETED', object: entry.object } : null;
    if (now && !before) return { type: 'ADDED', object: entry.object };
    if (now && before) return { type: 'MODIFIED', object: entry.object };
    if (!now && before) return { type: 'DELETED', object: entry.object };
    return null;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const log = (verb: RequestRecord['verb'], resource: string, status: number): void => void this.requests.push({ verb, resource, path, query, status });
    if (this.options.tokens !== undefined) {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!this.options.tokens.has(token)) {
        log('other', '', 401);
        return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
      }
    }
    if (req.method !== 'GET') return sendStatus(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    if (path === '/version') {
      log('discovery', '', 200);
      return sendJson(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-fake', gitCommit: '0', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.22', compiler: 'gc', platform: 'linux/amd64' });
    }
    if (path === '/api') {
      log('discovery', '', 200);
      return sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] });
    }
    if (path === '/apis') {
      log('discovery', '', 200);
      return sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    }
    if (path === '/api/v1') {
      log('discovery', '', 200);
      return sendJson(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: (['pods', 'services', 'nodes'] as const).map((r) => ({
          name: r,
          singularName: KINDS[r].toLowerCase(),
          namespaced: r !== 'nodes',
          kind: KINDS[r],
          verbs: ['get', 'list', 'watch'],
          shortNames: { pods: ['po'], services: ['svc'], nodes: ['no'] }[r],
        })),
      });
    }
    const m = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(pods|services|nodes)(?:\/([^/]+))?$/.exec(path);
    if (m === null) {
      log('other', '', 404);
      return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    }
    const namespace = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    const resource = m[2] as Resource;
    const name = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    const verb = name !== undefined ? 'get' : watch ? 'watch' : 'list';
    if (this.options.forbid?.has(`${verb} ${resource}`) === true) {
      log(verb, resource, 403);
      const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return sendStatus(res, 403, 'Forbidden', `${resource} is forbidden: User "system:serviceaccount:kube-system:sidecar" cannot ${verb} resource "${resource}" in API group "" ${scope}`);
    }
    if (name !== undefined) {
      const obj = this.store[resource].get(`${resource === 'nodes' ? '' : (namespace ?? 'default')}/${name}`);
      log('get', resource, obj === undefined ? 404 : 200);
      if (obj === undefined) return sendStatus(res, 404, 'NotFound', `${resource} "${name}" not found`);
      return sendJson(res, 200, obj);
    }
    let matches: (o: KubeObj) => boolean;
    try {
      matches = selectorOf(query['fieldSelector'] ?? '', query['labelSelector'] ?? '');
    } catch (err) {
      log(verb, resource, 400);
      return sendStatus(res, 400, 'BadRequest', (err as Error).message);
    }
    const selected = [...this.store[resource].values()].filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && matches(o));
    if (!watch) {
      log('list', resource, 200);
      const limit = Number(query['limit'] ?? '0');
      const offset = Number(query['continue'] ?? '0');
      const page = limit > 0 ? selected.slice(offset, offset + limit) : selected;
      const more = limit > 0 && offset + limit < selected.length;
      return sendJson(res, 200, {
        kind: `${KINDS[resource]}List`,
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(offset + limit) } : {}) },
        items: page,
      });
    }
    const fromText = query['resourceVersion'];
    const from = fromText === undefined || fromText === '' || fromText === '0' ? undefined : Number(fromText);
    if (from !== undefined && from + 1 < this.oldestRv) {
      log('watch', resource, this.options.expireWithHttpStatus === true ? 410 : 200);
      if (this.options.expireWithHttpStatus === true) return sendStatus(res, 410, 'Expired', `too old resource version: ${from} (${this.oldestRv - 1})`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.oldestRv - 1})`) })}\n`);
      return;
    }
    log('watch', resource, 200);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    let bookmarkTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    const watcher: Watcher = {
      resource,
      namespace,
      matches,
      res,
      end: () => {
        clearInterval(bookmarkTimer);
        clearTimeout(timeoutTimer);
        this.watchers.delete(watcher);
        res.end();
      },
    };
    if (from === undefined) {
      for (const o of selected) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    } else {
      for (const entry of this.history) {
        if (entry.rv <= from) continue;
        const event = this.eventFor(entry, watcher);
        if (event !== null) res.write(`${JSON.stringify(event)}\n`);
      }
    }
    this.watchers.add(watcher);
    res.on('close', () => watcher.end());
    if (query['allowWatchBookmarks'] === 'true') {
      bookmarkTimer = setInterval(() => {
        this.bookmarksSent++;
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: KINDS[resource], apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } })}\n`);
      }, this.options.bookmarkIntervalMs ?? 1000);
    }
    const timeoutSeconds = Number(query['timeoutSeconds'] ?? '0');
    if (timeoutSeconds > 0) timeoutTimer = setTimeout(() => watcher.end(), timeoutSeconds * 1000);
  }
}

function keyOf(o: KubeObj): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Field and label selectors as the API server reads them (the subset discovery and kubectl use). */
function selectorOf(field: string, label: string): (o: KubeObj) => boolean {
  const tests: Array<(o: KubeObj) => boolean> = [];
  for (const term of field.split(',').filter((t) => t !== '')) {
    const mm = /^([a-zA-Z.]+)(==|!=|=)(.*)$/.exec(term);
    if (mm === null) throw new Error(`invalid field selector: ${term}`);
    const [, path = '', op, value] = mm;
    const get = ({
      'spec.nodeName': (o: KubeObj) => (o['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '',
      'metadata.name': (o: KubeObj) => o.metadata.name,
      'metadata.namespace': (o: KubeObj) => o.metadata.namespace ?? '',
    } as Record<string, (o: KubeObj) => string>)[path];
    if (get === undefined) throw new Error(`field label not supported: ${path}`);
    tests.push(op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value);
  }
  for (const term of label.split(',').filter((t) => t !== '')) {
    const mm = /^(!?)([A-Za-z0-9._/-]+)(?:(==|!=|=)(.*))?$/.exec(term);
    if (mm === null) throw new Error(`unable to parse requirement: ${term}`);
    const [, not, key = '', op, value] = mm;
    const labels = (o: KubeObj): Record<string, string> => o.metadata.labels ?? {};
    if (op === undefined) tests.push(not === '!' ? (o) => !(key in labels(o)) : (o) => key in labels(o));
    else if (op === '!=') tests.push((o) => labels(o)[key] !== value);
    else tests.push((o) => labels(o)[key] === value);
  }
  return (o) => tests.every((t) => t(o));
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, status(code, reason, message));
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A pod on `node` with the labels given; Ready unless `ready: false`. */
export function podObject(name: string, node: string, labels: Record<string, string>, opts: { ready?: boolean; namespace?: string; image?: string; deleting?: boolean; uid?: string } = {}): KubeObj {
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      labels,
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.deleting === true ? { deletionTimestamp: '2026-12-07T10:00:00Z' } : {}),
    },
    spec: { nodeName: node, containers: [{ name: 'app', image: opts.image ?? 'nginx:1.27' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

export function serviceObject(name: string, serviceName: string, ports: Array<{ port: number; nodePort?: number }>, namespace = 'default'): KubeObj {
  return {
    metadata: { name, namespace, labels: { ServiceName: serviceName } },
    spec: { type: 'NodePort', ports: ports.map((p) => ({ protocol: 'TCP', port: p.port, ...(p.nodePort === undefined ? {} : { nodePort: p.nodePort }) })) },
  };
}

export function nodeObject(name: string, internalIp: string): KubeObj {
  return { metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: internalIp }, { type: 'Hostname', address: name }] } };
}
