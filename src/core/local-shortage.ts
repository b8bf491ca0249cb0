import { closeSync, openSync } from 'node:fs';

/**
 * The one list of errno codes that mean THIS host ran short of something (descriptors, ports,
 * buffers, memory, processes) rather than that the far side failed, each with what to do. A
 * health check that fails with one of these says nothing about the service it checks, so it
 * must never make that service UNHEALTHY cluster-wide (house rule 9).
 */
export const LOCAL_SHORTAGE_ADVICE: Readonly<Record<string, string>> = Object.freeze({
  EMFILE:
    'this process is out of file descriptors: raise its limit (ulimit -n, LimitNOFILE= in a systemd unit, --ulimit nofile= for Docker) or find what holds them (ls /proc/<pid>/fd)',
  ENFILE: 'the whole system is out of file descriptors: raise fs.file-max (sysctl) or stop the process that holds them',
  EADDRNOTAVAIL:
    'no local port or address is free for a new connection: widen net.ipv4.ip_local_port_range, look for connections piling up in TIME_WAIT, or check the source address exists',
  ENOBUFS: 'the kernel is out of socket buffer space: look for a process holding many sockets, or raise net.core.*mem limits',
  ENOMEM: 'the host or this process is out of memory: free memory or raise the limit (cgroup memory.max, ulimit -v)',
  EAGAIN: 'a process or resource limit was hit (too many processes for ulimit -u or the cgroup pids.max, or the routing cache is full): raise it or stop what uses it',
});

/** The errno code when `err` (or an error it wraps) is a local shortage, else undefined. */
export function localShortageCode(err: unknown): string | undefined {
  for (let depth = 0, cur: unknown = err; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(LOCAL_SHORTAGE_ADVICE, code)) return code;
    // Happy Eyeballs (autoSelectFamily) reports one AggregateError for all its attempts.
    const inner = (cur as { errors?: unknown }).errors;
    if (Array.isArray(inner)) {
      for (const e of inner) {
        const found = localShortageCode(e);
        if (found !== undefined) return found;
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What to do about a shortage code (from {@link LOCAL_SHORTAGE_ADVICE}). */
export function localShortageAdvice(code: string): string {
  return LOCAL_SHORTAGE_ADVICE[code] ?? 'this host ran short of a resource';
}

/**
 * Whether this process can open a file descriptor right now: EMFILE or ENFILE when it cannot,
 * else undefined. For failures that hide a shortage behind another error: out of descriptors,
 * the resolver cannot read /etc/hosts and getaddrinfo answers ENOTFOUND.
 */
export function probeDescriptorShortage(): string | undefined {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return undefined;
  } catch (err) {
    const code = localShortageCode(err);
    return code === 'EMFILE' || code === 'ENFILE' ? code : undefined;
  }
}
