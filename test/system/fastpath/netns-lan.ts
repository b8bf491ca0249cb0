import { execFileSync } from 'node:child_process';

/**
 * Hosts h1..hN as network namespaces on a LAN of their own: a namespace `<prefix>-lan` holds
 * a bridge, each host a veth `eth0` on it with 10.78.0.K/24, and h1 the well-known IP on lo.
 * A "container" of h1, namespace `<prefix>-c1`, hangs off h1 like a container off docker0: a
 * veth `ctr0` 172.30.0.1/24 in h1 (which forwards), `eth0` 172.30.0.2/24 with its default route
 * through h1. Nothing is made or changed in the machine's own namespace.
 */
export interface NetnsLan {
  /** The namespace of host K (1-based). */
  host(k: number): string;
  /** The address of host K on the LAN. */
  ip(k: number): string;
  /** Runs a command in host K and returns its stdout. */
  exec(k: number, argv: readonly string[], input?: string): string;
  /** Runs a command in h1's container and returns its stdout. */
  execInContainer(argv: readonly string[]): string;
  /** Deletes every namespace (the processes in them must be gone). Idempotent. */
  close(): void;
}

export const LAN_VIP = '192.168.168.168';

export function makeNetnsLan(prefix: string, hosts: number): NetnsLan {
  const lan = `${prefix}-lan`;
  const host = (k: number): string => `${prefix}-h${k}`;
  const made: string[] = [];
  const close = (): void => {
    for (const ns of made.splice(0).reverse()) execFileSync('ip', ['netns', 'del', ns]);
  };
  const ip = (...args: string[]): void => void execFileSync('ip', args);
  try {
    ip('netns', 'add', lan);
    made.push(lan);
    ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lan, 'link', 'set', 'br0', 'up');
    for (let k = 1; k <= hosts; k++) {
      ip('netns', 'add', host(k));
      made.push(host(k));
      ip('-n', lan, 'link', 'add', `v${k}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host(k));
      ip('-n', lan, 'link', 'set', `v${k}`, 'master', 'br0', 'up');
      ip('-n', host(k), 'addr', 'add', `10.78.0.${k}/24`, 'dev', 'eth0');
      ip('-n', host(k), 'link', 'set', 'eth0', 'up');
      ip('-n', host(k), 'link', 'set', 'lo', 'up');
    }
    ip('-n', host(1), 'addr', 'add', `${LAN_VIP}/32`, 'dev', 'lo');
    const container = `${prefix}-c1`;
    ip('netns', 'add', container);
    made.push(container);
    ip('-n', host(1), 'link', 'add', 'ctr0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', container);
    ip('-n', host(1), 'addr', 'add', '172.30.0.1/24', 'dev', 'ctr0');
    ip('-n', host(1), 'link', 'set', 'ctr0', 'up');
    ip('-n', container, 'addr', 'add', '172.30.0.2/24', 'dev', 'eth0');
    ip('-n', container, 'link', 'set', 'eth0', 'up');
    ip('-n', container, 'link', 'set', 'lo', 'up');
    ip('-n', container, 'route', 'add', 'default', 'via', '172.30.0.1');
    execFileSync('ip', ['netns', 'exec', host(1), 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  } catch (err) {
    close();
    throw err;
  }
  return {
    host,
    ip: (k) => `10.78.0.${k}`,
    exec: (k, argv, input) => execFileSync('ip', ['netns', 'exec', host(k), ...argv], { encoding: 'utf8', ...(input === undefined ? {} : { input }) }),
    execInContainer: (argv) => execFileSync('ip', ['netns', 'exec', `${prefix}-c1`, ...argv], { encoding: 'utf8' }),
    close,
  };
}
