import { ErrorCode, MAX_PORT, SidecarError, errorMessage, encodeGoJson, redactUrls } from '../../core/index.js';
import { ServiceStatus, decodeService, normalizeProxyMode, serviceToGoJson, unknownProxyModeMessage, type CheckSpec, type Port, type Service } from '../../catalog/index.js';
import { locateJsonError } from './json-error-position.js';

/**
 * The Go Sidecar's `static.json`: a JSON array of targets
 * `{ "Service": {…Service fields…}, "Check": {"Type", "Args"}, "ListenPort": <int> }`.
 * Keys match case-insensitively and unknown keys are ignored, as with Go's decoder.
 *
 * This module only reads text into targets; IDs, times and reloading belong to
 * {@link StaticDiscovery}.
 */

/** One target of the file, with this host's defaults applied, before it gets an ID. */
export interface StaticTargetSpec {
  /** Index in the file's array, for messages. */
  readonly index: number;
  /**
   * The service as written, `Hostname` defaulted to the node name and port `IP`s to the
   * advertise IP. `id` is `''`, `created`/`updated` are 0 and `status` ALIVE: the loader
   * fills the first three, health decides the status (the file's `Status` is ignored).
   */
  readonly service: Service;
  readonly check: CheckSpec;
  /** 0 when absent or not positive (no listener). */
  readonly listenPort: number;
  /** Equal keys mean the same target content: a reload keeps such a target's ID. */
  readonly key: string;
  /** Set when `ProxyMode` is not tcp, http or ws (any case): the target is kept, the value as written. */
  readonly proxyModeWarning?: string;
}

/** A target that was skipped, and why (`[1].Service.Ports[0].Port: …`). */
export interface TargetProblem {
  readonly index: number;
  readonly message: string;
}

export interface StaticFileContent {
  /** The good targets, in file order. */
  readonly targets: readonly StaticTargetSpec[];
  /** The targets that were left out. */
  readonly problems: readonly TargetProblem[];
}

export interface StaticFileDefaults {
  /** Node name: the default `Hostname`. */
  readonly hostname: string;
  /** The default port `IP`. */
  readonly advertiseIp: string;
}

/** What the reader is told to do about a bad file. */
export const STATIC_FILE_HINT =
  'it must be a JSON array of {"Service": {...}, "Check": {"Type", "Args"}, "ListenPort": <port>} objects; ' +
  'fix it, point STATIC_CONFIG_FILE at another file, or remove "static" from SIDECAR_DISCOVERY';

/** A DISCOVERY_STATIC_FILE error naming the file. */
export function staticFileError(file: string, what: string, cause?: unknown): SidecarError {
  return new SidecarError(
    ErrorCode.DISCOVERY_STATIC_FILE,
    `static discovery file ${file}: ${what} (${STATIC_FILE_HINT})`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Reads the file's text. Throws DISCOVERY_STATIC_FILE for text that is not JSON (with line
 * and column) or not an array; a bad target does not throw, it is reported in `problems`.
 */
export function parseStaticFile(text: string, file: string, defaults: StaticFileDefaults): StaticFileContent {
  // Go's decoder refuses a byte order mark; editors on Windows add one, so it is skipped.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    const at = locateJsonError(body, err);
    if (at === null) throw staticFileError(file, `not valid JSON (${errorMessage(err)})`, err);
    const found = at.offset >= body.length ? 'the text ends too early' : `unexpected ${JSON.stringify(body.charAt(at.offset))}`;
    throw staticFileError(file, `line ${at.line}, column ${at.column}: not valid JSON, ${found}`, err);
  }
  // Go decodes `null` into an empty slice.
  if (raw === null) return { targets: [], problems: [] };
  if (!Array.isArray(raw)) throw staticFileError(file, `expected a JSON array of targets, found ${jsonKind(raw)}`);

  const targets: StaticTargetSpec[] = [];
  const problems: TargetProblem[] = [];
  raw.forEach((entry: unknown, index) => {
    try {
      targets.push(decodeTarget(entry, index, defaults));
    } catch (err) {
      problems.push({ index, message: errorMessage(err) });
    }
  });
  return { targets, problems };
}

function decodeTarget(entry: unknown, index: number, defaults: StaticFileDefaults): StaticTargetSpec {
  const where = `[${index}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new Error(`${where}: expected an object, found ${jsonKind(entry)}`);
  }
  const obj = entry as Record<string, unknown>;
  const written = decodeService(field(obj, 'Service'), `${where}.Service`);
  if (written.name.trim() === '') throw new Error(`${where}.Service.Name: must not be empty`);
  const ports = written.ports?.map((p, i) => checkPort(p, `${where}.Service.Ports[${i}]`, defaults.advertiseIp)) ?? null;
  const proxyMode = normalizeProxyMode(written.proxyMode);
  const service: Service = {
    ...written,
    proxyMode: proxyMode.mode,
    id: '',
    created: 0n,
    updated: 0n,
    hostname: written.hostname === '' ? defaults.hostname : written.hostname,
    ports,
    status: ServiceStatus.ALIVE,
  };
  const check = decodeCheck(field(obj, 'Check'), `${where}.Check`);
  const listenPort = decodeListenPort(field(obj, 'ListenPort'), `${where}.ListenPort`);
  const key = `${encodeGoJson(serviceToGoJson(service))}\n${check.type}\n${check.args}\n${listenPort}`;
  return proxyMode.known
    ? { index, service, check, listenPort, key }
    : { index, service, check, listenPort, key, proxyModeWarning: `${where}.Service.ProxyMode: ${unknownProxyModeMessage(proxyMode.mode)}` };
}

function checkPort(port: Port, where: string, advertiseIp: string): Port {
  if (port.port < 1 || port.port > MAX_PORT) throw new Error(`${where}.Port: must be 1-${MAX_PORT}, got ${port.port}`);
  if (port.servicePort < 0 || port.servicePort > MAX_PORT) {
    throw new Error(`${where}.ServicePort: must be 0-${MAX_PORT} (0 = not proxied), got ${port.servicePort}`);
  }
  return port.ip === '' ? { ...port, ip: advertiseIp } : port;
}

function decodeCheck(value: unknown, where: string): CheckSpec {
  if (value === null || value === undefined) return { type: '', args: '' };
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected an object, found ${jsonKind(value)}`);
  const obj = value as Record<string, unknown>;
  return { type: stringField(obj, 'Type', where), args: stringField(obj, 'Args', where) };
}

function decodeListenPort(value: unknown, where: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`${where}: expected an integer, got ${JSON.stringify(value)}`);
  }
  if (value > MAX_PORT) throw new Error(`${where}: must be 1-${MAX_PORT} (or 0 for no listener), got ${value}`);
  // Go registers a listener only for ListenPort > 0 and ignores the rest.
  return value > 0 ? value : 0;
}

function stringField(obj: Record<string, unknown>, name: string, where: string): string {
  const v = field(obj, name);
  if (v === null || v === undefined) return '';
  // Redacted: Check.Args may hold a URL with a password or a token.
  if (typeof v !== 'string') throw new Error(`${where}.${name}: expected a string, got ${redactUrls(JSON.stringify(v) ?? String(v))}`);
  return v;
}

/** Go's field matching: the exact key first, else the last key equal ignoring case. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  let found: unknown;
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) found = obj[key];
  return found;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
