import {
  BugError,
  ErrorCode,
  SidecarError,
  RawJson,
  encodeGoJson,
  formatTimestamp,
  parseTimestamp,
  sortedMap,
  EPOCH,
  type GoJson,
  type Timestamp,
} from '../core/index.js';
import type { ChangeEvent } from './change-event.js';
import type { Port, Service } from './service.js';

/**
 * The Go Sidecar's JSON for services and state, both ways.
 *
 * Encoding keeps Go's field order, int statuses, RFC3339Nano times, `null` vs `[]` ports
 * and sorted map keys. Decoding matches keys case-insensitively (as Go does), ignores
 * unknown keys, treats `null` or a missing key as the zero value, and refuses wrong types
 * with an error naming the field.
 */

/** Go's zero `time.Time` (0001-01-01T00:00:00Z), the value of a missing timestamp. */
export const GO_ZERO_TIME: Timestamp = -62_135_596_800n * 1_000_000_000n;

export function portToGoJson(p: Port): GoJson {
  return new Map<string, GoJson>([
    ['Type', p.type],
    ['Port', p.port],
    ['ServicePort', p.servicePort],
    ['IP', p.ip],
  ]);
}

export function serviceToGoJson(svc: Service): Map<string, GoJson> {
  return new Map<string, GoJson>([
    ['ID', svc.id],
    ['Name', svc.name],
    ['Image', svc.image],
    ['Created', formatTimestamp(svc.created)],
    ['Hostname', svc.hostname],
    ['Ports', svc.ports === null ? null : svc.ports.map(portToGoJson)],
    ['Updated', formatTimestamp(svc.updated)],
    ['ProxyMode', svc.proxyMode],
    ['Status', svc.status],
  ]);
}

/** One compact Service JSON object: a gossip message, or one entry of the state. */
export function encodeService(svc: Service): string {
  return encodeGoJson(serviceToGoJson(svc));
}

/**
 * A record's compact JSON cut around its `Updated` value, so that copies differing only in
 * `Updated` (the timed repeats of a broadcast, +50 ns each) are not encoded again.
 */
export interface ServiceJsonTemplate {
  /** Everything up to and including `"Updated":`. */
  readonly head: string;
  /** Everything after the `Updated` value. */
  readonly tail: string;
}

/**
 * `svc`'s JSON (`json`, when already encoded, else encoded now) cut around `Updated` (field
 * names are never escaped and values' quotes are, so the cut is unique).
 */
export function serviceJsonTemplate(svc: Service, json: string = encodeService(svc)): ServiceJsonTemplate {
  const value = `"${formatTimestamp(svc.updated)}"`;
  const field = json.indexOf(`,"Updated":${value},`);
  if (field < 0) throw new BugError(`serviceJsonTemplate: no Updated ${value} in the JSON of ${svc.hostname}/${svc.id}`);
  const at = field + ',"Updated":'.length;
  return { head: json.slice(0, at), tail: json.slice(at + value.length) };
}

/** The JSON of a template's record with `Updated` = `updated`: equal to encodeService of that copy. */
export function serviceJsonWithUpdated(template: ServiceJsonTemplate, updated: Timestamp): string {
  return `${template.head}"${formatTimestamp(updated)}"${template.tail}`;
}

/** Read-only view of one host's records, as the state encoder needs it. */
export interface ServerView {
  readonly name: string;
  readonly services: ReadonlyMap<string, Service>;
  readonly lastUpdated: Timestamp;
  readonly lastChanged: Timestamp;
}

/** Read-only view of the whole state. */
export interface StateView {
  readonly servers: ReadonlyMap<string, ServerView>;
  readonly lastChanged: Timestamp;
  readonly clusterName: string;
  readonly hostname: string;
}

/** `encode` lets callers reuse cached per-record encodings. */
export type ServiceEncoder = (svc: Service) => GoJson;

export function serverToGoJson(server: ServerView, encode: ServiceEncoder = serviceToGoJson): GoJson {
  return new Map<string, GoJson>([
    ['Name', server.name],
    ['Services', sortedMap([...server.services].map(([id, svc]) => [id, encode(svc)] as const))],
    ['LastUpdated', formatTimestamp(server.lastUpdated)],
    ['LastChanged', formatTimestamp(server.lastChanged)],
  ]);
}

export function stateToGoJson(state: StateView, encode: ServiceEncoder = serviceToGoJson): GoJson {
  return new Map<string, GoJson>([
    ['Servers', sortedMap([...state.servers].map(([name, server]) => [name, serverToGoJson(server, encode)] as const))],
    ['LastChanged', formatTimestamp(state.lastChanged)],
    ['ClusterName', state.clusterName],
    ['Hostname', state.hostname],
  ]);
}

/** Compact full state: `/api/state.json`, `/watch?by_service=false`, push/pull payload. */
export function encodeState(state: StateView, encode: ServiceEncoder = serviceToGoJson): string {
  return encodeGoJson(stateToGoJson(state, encode));
}

/** Every record grouped by name (sorted names); each list ordered by `Updated` ascending. */
export function groupByService(state: Pick<StateView, 'servers'>): Map<string, Service[]> {
  const all: Service[] = [];
  for (const server of state.servers.values()) for (const svc of server.services.values()) all.push(svc);
  all.sort((a, b) => (a.updated < b.updated ? -1 : a.updated > b.updated ? 1 : 0));
  const groups = new Map<string, Service[]>();
  for (const svc of all) {
    const list = groups.get(svc.name);
    if (list === undefined) groups.set(svc.name, [svc]);
    else list.push(svc);
  }
  return sortedMap(groups);
}

export function byServiceToGoJson(groups: ReadonlyMap<string, readonly Service[]>, encode: ServiceEncoder = serviceToGoJson): GoJson {
  return sortedMap([...groups].map(([name, list]) => [name, list.map(encode)] as const));
}

/** Wraps a cached compact encoding so it can sit inside a larger document. */
export function rawService(text: string): GoJson {
  return new RawJson(text);
}

// ---------------------------------------------------------------- decoding

type JsonObject = Record<string, unknown>;

function badJson(message: string): SidecarError {
  return new SidecarError(ErrorCode.CATALOG_BAD_JSON, message);
}

/** Go's field matching: the exact key first, then any key equal ignoring case. */
function field(obj: JsonObject, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  let found: unknown;
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) found = obj[key];
  return found;
}

function asObject(value: unknown, where: string): JsonObject | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw badJson(`${where}: expected an object`);
  return value as JsonObject;
}

function str(obj: JsonObject, name: string, where: string): string {
  const v = field(obj, name);
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') throw badJson(`${where}.${name}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(obj: JsonObject, name: string, where: string): number {
  const v = field(obj, name);
  if (v === null || v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw badJson(`${where}.${name}: expected an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function time(obj: JsonObject, name: string, where: string, zero: Timestamp): Timestamp {
  const v = field(obj, name);
  if (v === null || v === undefined) return zero;
  if (typeof v !== 'string') throw badJson(`${where}.${name}: expected an RFC 3339 string, got ${JSON.stringify(v)}`);
  try {
    return parseTimestamp(v);
  } catch (err) {
    throw badJson(`${where}.${name}: ${(err as Error).message}`);
  }
}

export function decodePort(value: unknown, where: string): Port {
  const obj = asObject(value, where) ?? {};
  return {
    type: str(obj, 'Type', where),
    port: int(obj, 'Port', where),
    servicePort: int(obj, 'ServicePort', where),
    ip: str(obj, 'IP', where),
  };
}

/** Decodes one Service object (already parsed). Throws SidecarError(CATALOG_BAD_JSON). */
export function decodeService(value: unknown, where = 'Service'): Service {
  const obj = asObject(value, where) ?? {};
  const rawPorts = field(obj, 'Ports');
  let ports: Port[] | null = null;
  if (rawPorts !== null && rawPorts !== undefined) {
    if (!Array.isArray(rawPorts)) throw badJson(`${where}.Ports: expected an array`);
    ports = rawPorts.map((p, i) => decodePort(p, `${where}.Ports[${i}]`));
  }
  return {
    id: str(obj, 'ID', where),
    name: str(obj, 'Name', where),
    image: str(obj, 'Image', where),
    created: time(obj, 'Created', where, GO_ZERO_TIME),
    hostname: str(obj, 'Hostname', where),
    ports,
    updated: time(obj, 'Updated', where, GO_ZERO_TIME),
    proxyMode: str(obj, 'ProxyMode', where),
    status: int(obj, 'Status', where),
  };
}

/** Parses JSON text, turning a syntax error into a CATALOG_BAD_JSON error. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badJson(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Decodes a gossip message (one compact Service JSON). */
export function parseService(text: string): Service {
  return decodeService(parseJson(text, 'service message'));
}

/** A decoded remote state: only its records matter to the merge. */
export interface DecodedState {
  readonly services: Service[];
  readonly lastChanged: Timestamp;
  readonly clusterName: string;
  readonly hostname: string;
}

/** Decodes a full state document (push/pull payload, `/state.json`). */
export function parseState(text: string): DecodedState {
  const obj = asObject(parseJson(text, 'state'), 'State') ?? {};
  const servers = asObject(field(obj, 'Servers'), 'State.Servers') ?? {};
  const services: Service[] = [];
  for (const [hostname, rawServer] of Object.entries(servers)) {
    const where = `State.Servers[${JSON.stringify(hostname)}]`;
    const server = asObject(rawServer, where) ?? {};
    const svcs = asObject(field(server, 'Services'), `${where}.Services`) ?? {};
    for (const [id, raw] of Object.entries(svcs)) services.push(decodeService(raw, `${where}.Services[${JSON.stringify(id)}]`));
  }
  return {
    services,
    lastChanged: time(obj, 'LastChanged', 'State', EPOCH),
    clusterName: str(obj, 'ClusterName', 'State'),
    hostname: str(obj, 'Hostname', 'State'),
  };
}

// ---------------------------------------------------------------- change events

/** `{"Service", "PreviousStatus", "Time"}` as in the Go Sidecar's ChangeEvent. */
export function changeEventToGoJson(event: ChangeEvent, encode: ServiceEncoder = serviceToGoJson): GoJson {
  return new Map<string, GoJson>([
    ['Service', encode(event.service)],
    ['PreviousStatus', event.previousStatus],
    ['Time', formatTimestamp(event.time)],
  ]);
}

/** `{"State": <full state>, "ChangeEvent": {…}}`: the body POSTed to URL listeners. */
export function stateChangedEventToGoJson(state: GoJson, event: ChangeEvent, encode: ServiceEncoder = serviceToGoJson): GoJson {
  return new Map<string, GoJson>([
    ['State', state],
    ['ChangeEvent', changeEventToGoJson(event, encode)],
  ]);
}

/** The listener body, compact (the agent sends {@link StateJson.stateChangedEvent}, which shares the state's encoding). */
export function encodeStateChangedEvent(state: StateView, event: ChangeEvent, encode: ServiceEncoder = serviceToGoJson): string {
  return encodeGoJson(stateChangedEventToGoJson(stateToGoJson(state, encode), event, encode));
}

/** Memberlist node metadata of a Sidecar node: `{"ClusterName":"<name>","State":"Running"}`. */
export function encodeNodeMeta(clusterName: string): string {
  return encodeGoJson(
    new Map<string, GoJson>([
      ['ClusterName', clusterName],
      ['State', 'Running'],
    ]),
  );
}
