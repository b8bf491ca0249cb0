/**
 * memberlist carries addresses as raw IP bytes (4 for IPv4, 16 for IPv6); transports use
 * strings. These convert between the two.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The bytes of an IP address string, or null when it is not an IP address. */
export function ipToBytes(host: string): Uint8Array | null {
  if (isIPv4(host)) return Uint8Array.from(host.split('.').map(Number));
  if (!isIPv6(host)) return null;
  const zone = host.indexOf('%');
  const bare = zone === -1 ? host : host.slice(0, zone);
  let head = bare;
  let tail = '';
  const gap = bare.indexOf('::');
  if (gap !== -1) {
    head = bare.slice(0, gap);
    tail = bare.slice(gap + 2);
  }
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = g.split('.').map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  // memberlist sends IPv4-mapped IPv6 addresses as 4 bytes (net.IP.To4).
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  return bytes;
}

/**
 * The string form of IP bytes (4 or 16 long), as Go's `net.IP.String()`: an IPv4-mapped IPv6
 * address gives dotted IPv4 (so a udp4 socket can reach it); anything else gives ''.
 */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return '';
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return Array.from(bytes.subarray(12)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}
