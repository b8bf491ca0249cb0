import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export interface AdvertiseChoice {
  readonly ip: string;
  /** `configured`, `private` (found on an interface) or `loopback` (laptop fallback). */
  readonly source: 'configured' | 'private' | 'loopback';
}

const PRIVATE_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [ipToInt('10.0.0.0'), 8],
  [ipToInt('172.16.0.0'), 12],
  [ipToInt('192.168.0.0'), 16],
];

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function isPrivateIpv4(ip: string): boolean {
  const n = ipToInt(ip);
  return PRIVATE_BLOCKS.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/**
 * The Go Sidecar's choice: the configured address, else the first private IPv4 of any
 * interface not in `excluded`. Where the Go Sidecar then exits, we fall back to 127.0.0.1
 * (a laptop with no private network still runs as a cluster of one); the caller warns.
 */
export function chooseAdvertiseIp(
  configured: string | null,
  excluded: readonly string[],
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): AdvertiseChoice {
  if (configured !== null) return { ip: configured, source: 'configured' };
  for (const addrs of Object.values(interfaces)) {
    for (const addr of addrs ?? []) {
      if (addr.family !== 'IPv4') continue;
      if (isPrivateIpv4(addr.address) && !excluded.includes(addr.address)) return { ip: addr.address, source: 'private' };
    }
  }
  return { ip: '127.0.0.1', source: 'loopback' };
}
