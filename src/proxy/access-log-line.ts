/*
 * The proxy access log's line: one JSON object per proxied HTTP request or TCP connection.
 *
 *   {"time":"2026-12-07T09:41:02.118Z","service":"web","port":8080,"mode":"http",
 *    "client":"10.0.0.7:51234","backend":"10.0.0.12:31001","server":"h2-5f1c0a9e2b77",
 *    "status":200,"durationMs":1.734,"bytesIn":112,"bytesOut":2048}
 *
 * `time`: when the request or connection ended (RFC 3339, UTC); `port`: the ServicePort;
 * `backend`: the instance's ip:port (after failed connects, the last one tried; null when there
 * was none to try: a 503 with no healthy instance, a 400); `server`: the
 * instance's `<hostname>-<id>` (HAProxy's server name); `status`: HTTP only, the status sent to
 * the client (null when the exchange ended without one); `durationMs`: HTTP, from the request
 * head to the end of the response; TCP, from accept to close; bytes as seen from the client
 * (`bytesIn` client → backend, `bytesOut` backend → client). Built by hand (no object, no
 * JSON.stringify of a record) because it runs once per request, from parts that are kept:
 * the time text for the current millisecond, each service name's and backend's JSON text.
 * Measured (a micro loop, then bench/access-log-cost.ts): about 1 µs a line built afresh,
 * 0.1–0.25 µs with these.
 */

/** The endpoint a line names (the HTTP pool's EndpointEntry and the TCP counters both are one). */
export interface AccessLogBackend {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
}

/** `ip:port`, with brackets for IPv6; IPv4-mapped addresses (`::ffff:1.2.3.4`) are shown as IPv4. */
export function addressText(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return '';
  const host = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

/** `new Date().toISOString()`, made once per millisecond. */
let isoMs = -1;
let isoText = '';
function nowIso(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** `"backend":"ip:port","server":"key"` of each endpoint object (they live as long as their route). */
const backendTexts = new WeakMap<AccessLogBackend, string>();
function backendText(backend: AccessLogBackend | undefined): string {
  if (backend === undefined) return '"backend":null,"server":null';
  let text = backendTexts.get(backend);
  if (text === undefined) {
    text = `"backend":${JSON.stringify(addressText(backend.ip, backend.port))},"server":${JSON.stringify(backend.key)}`;
    backendTexts.set(backend, text);
  }
  return text;
}

/** Service names as JSON strings; at most MAX_NAMES kept (then started afresh). */
const nameTexts = new Map<string, string>();
const MAX_NAMES = 4096;
function nameText(name: string): string {
  let text = nameTexts.get(name);
  if (text === undefined) {
    if (nameTexts.size >= MAX_NAMES) nameTexts.clear();
    text = JSON.stringify(name);
    nameTexts.set(name, text);
  }
  return text;
}

/** One access-log line with its `\n`. `status` undefined: a TCP line (no status field). */
export function accessLogLine(
  service: string,
  port: number,
  mode: 'http' | 'tcp',
  client: string,
  backend: AccessLogBackend | undefined,
  status: number | null | undefined,
  durationMs: number,
  bytesIn: number,
  bytesOut: number,
): string {
  const st = status === undefined ? '' : `"status":${status},`;
  return (
    `{"time":"${nowIso()}","service":${nameText(service)},"port":${port},"mode":"${mode}","client":"${client}",${backendText(backend)},` +
    `${st}"durationMs":${Math.round(durationMs * 1000) / 1000},"bytesIn":${bytesIn},"bytesOut":${bytesOut}}\n`
  );
}
