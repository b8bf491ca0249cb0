/**
 * The `ProxyMode` values the load balancer knows: `tcp` (a byte pipe), `http`, `ws` (HTTP/1.1
 * with upgrades). Discovery writes known values in lower case whatever case they were given
 * in (`TCP` → `tcp`); an unknown value (`smtp`) stays as written in the record, since other
 * tools read it, and the proxy forwards it as `tcp` (a byte pipe carries any TCP protocol;
 * HTTP parsing would break one that is not HTTP).
 */
export const PROXY_MODES = ['tcp', 'http', 'ws'] as const;
export type KnownProxyMode = (typeof PROXY_MODES)[number];

/**
 * A ProxyMode as discovery should record it: known values lower-cased, `known` false for
 * others. `''` (not set: the proxy uses http) is kept and counts as known.
 */
export function normalizeProxyMode(value: string): { readonly mode: string; readonly known: boolean } {
  if (value === '') return { mode: '', known: true };
  const lower = value.toLowerCase();
  return (PROXY_MODES as readonly string[]).includes(lower) ? { mode: lower, known: true } : { mode: value, known: false };
}

/** The warning about an unknown value: names it, the accepted ones and what the proxy does. */
export function unknownProxyModeMessage(value: string): string {
  return `ProxyMode ${JSON.stringify(value)} is not one of ${PROXY_MODES.join(', ')} (any case); the record keeps it as written and the proxy forwards it as tcp`;
}
