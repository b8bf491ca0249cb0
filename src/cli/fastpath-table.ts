/**
 * What `sidecar fastpath show` prints for an agent's `/api/proxy.json`: the fast path's state
 * and, while on, the kernel's rules per port as a table (endpoints in round-robin order, each
 * with the new connections its rule counted). The document comes from the network, so it is
 * read as unknown and only well-typed fields are shown. Pure.
 */
export interface FastpathShow {
  /** The lines to print, each without its newline. */
  readonly lines: readonly string[];
  /** True when the fast path is on (the command exits 0), false when it is off or not asked for. */
  readonly on: boolean;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Columns padded to their widest cell; numbers right-aligned. */
function columns(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export function renderFastpath(doc: unknown, source: string): FastpathShow {
  const fastpath = obj(obj(doc)?.['fastpath']);
  if (fastpath === undefined) return { on: false, lines: [`fast path: not enabled on the agent at ${source} (--proxy-tcp-fastpath is off); the Node balancer serves every port`] };
  const state = text(fastpath['state']) ?? 'unknown';
  if (state !== 'on') {
    const reason = text(fastpath['reason']);
    const why = reason === undefined ? '' : `: ${reason}`;
    return { on: false, lines: [`fast path: ${state}${why}; the Node balancer serves TCP ports`] };
  }
  const applies = num(fastpath['applies']) ?? 0;
  const failures = num(fastpath['failures']) ?? 0;
  const lastApplyMs = num(fastpath['lastApplyMs']);
  const lines = [`fast path: on; ${applies} transactions applied, ${failures} failed${lastApplyMs === undefined ? '' : `, the last in ${lastApplyMs.toFixed(1)} ms`}`];
  const readAt = text(fastpath['rulesReadAt']);
  const rulesError = text(fastpath['rulesError']);
  if (rulesError !== undefined) return { on: true, lines: [...lines, `the kernel's rules could not be read back: ${rulesError}`] };
  const ports = Array.isArray(fastpath['rules']) ? fastpath['rules'] : [];
  lines.push(`the kernel's rules${readAt === undefined ? '' : `, read at ${readAt}`}: ${ports.length} port${ports.length === 1 ? '' : 's'}`);
  if (ports.length === 0) return { on: true, lines };
  const rows: string[][] = [['PORT', 'SERVICE', 'ENDPOINT', 'ADDRESS', 'CONNECTIONS']];
  for (const port of ports) {
    const p = obj(port);
    const servicePort = String(num(p?.['servicePort']) ?? '?');
    const serviceName = text(p?.['serviceName']) ?? '-';
    const endpoints = Array.isArray(p?.['endpoints']) ? p['endpoints'] : [];
    if (endpoints.length === 0) rows.push([servicePort, serviceName, '(none)', '', '']);
    endpoints.forEach((endpoint, i) => {
      const e = obj(endpoint);
      const address = `${text(e?.['ip']) ?? '?'}:${num(e?.['port']) ?? '?'}`;
      rows.push([i === 0 ? servicePort : '', i === 0 ? serviceName : '', text(e?.['key']) ?? '-', address, String(num(e?.['connections']) ?? '?')]);
    });
  }
  return { on: true, lines: [...lines, '', ...columns(rows, new Set([4]))] };
}
