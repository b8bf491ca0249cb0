import { isIP } from 'node:net';

/** The highest TCP/UDP port number (16 bits). */
export const MAX_PORT = 65_535;

/**
 * Splits `host`, `host:port`, a bare IPv6 address or `[v6]:port`. The port is undefined when
 * none is given; the whole is undefined when the host is empty or the port is not 1–65535.
 */
export function splitHostPort(text: string): { host: string; port: number | undefined } | undefined {
  const value = text.trim();
  let host = value;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracket) {
    host = bracket[1] as string;
    portText = bracket[2];
  } else if (isIP(value) !== 6 && value.includes(':')) {
    const i = value.lastIndexOf(':');
    host = value.slice(0, i);
    portText = value.slice(i + 1);
  }
  if (host === '') return undefined;
  if (portText === undefined) return { host, port: undefined };
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= MAX_PORT ? { host, port } : undefined;
}
