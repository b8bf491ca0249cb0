import { readBoundedFile } from './bounded-file.js';

/**
 * The process's file-descriptor limits (RLIMIT_NOFILE), read once at start from
 * `/proc/self/limits` ("Max open files"). No syscall per connection: callers turn them into
 * counters.
 *
 * Node raises the soft limit to the hard one when it starts (src/node.cc, "raise the open file
 * descriptor limit", unchanged in Node 24). Checked on Linux with Node 20.20: under `ulimit -Sn 256` (hard 20000)
 * a Node process reads a soft limit of 20000 here; under `ulimit -n 256` (soft and hard 256)
 * it reads 256. So the soft limit read here is the one that applies, and the hard limit is
 * the way to give the agent more (`ulimit -Hn`, systemd `LimitNOFILE=`, Docker `--ulimit nofile=`).
 */
export interface FdLimits {
  /** The limit that applies (Infinity for `unlimited`). */
  readonly soft: number;
  readonly hard: number;
}

/**
 * File descriptors kept for the control plane, never used for proxied connections: about 40
 * that Node and the agent hold at rest (stdio, libuv's epoll, eventfds and thread-pool pipes,
 * inotify; measured: 39 with one static service), up to 32 health checks in flight (the
 * monitor's concurrency), the gossip UDP and TCP sockets and a few push/pull streams, the API's
 * listening socket and its clients (watch streams, the UI), a few Docker and listener-URL
 * connections, and one listening socket per proxied ServicePort. 128 covers that on a normal
 * host; a host with many services gets far more from its default limit anyway.
 */
export const CONTROL_PLANE_RESERVE_FDS = 128;

/** Used when the limit cannot be read (not Linux): HAProxy's `maxconn 4096`, the Go Sidecar's cap. */
const FALLBACK_MAX_CONNECTIONS = 4_096;
/** Below this the proxy is hardly usable; the reserve gives way (and the daemon warns). */
const MIN_MAX_CONNECTIONS = 16;
/** An `unlimited` or huge limit still gives a finite cap (2^20 connections, 2^21 fds). */
const MAX_DERIVED_CONNECTIONS = 1 << 20;

/** Parses the "Max open files" line of a `/proc/<pid>/limits` text; undefined when it is missing or garbled. */
export function parseFdLimits(text: string): FdLimits | undefined {
  for (const line of text.split('\n', 64)) {
    if (!line.startsWith('Max open files')) continue;
    const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/, 2).map(limitValue);
    if (soft === undefined || hard === undefined) return undefined;
    return { soft, hard };
  }
  return undefined;
}

function limitValue(word: string): number | undefined {
  if (word === 'unlimited') return Infinity;
  if (!/^\d{1,12}$/.test(word)) return undefined;
  return Number(word);
}

/** This process's limits, or undefined where `/proc/self/limits` does not exist or cannot be read. */
export function readFdLimits(path = '/proc/self/limits'): FdLimits | undefined {
  const read = readBoundedFile(path, 64 * 1024);
  return read.ok ? parseFdLimits(read.bytes.toString('latin1')) : undefined;
}

/**
 * What the reserve leaves is shared by the two things outsiders can open connections to: the
 * API gets at most a quarter of it (256 by default is far more than any host's tools need),
 * the load balancer the rest. One split, so a flood of both together still leaves the reserve
 * to the control plane (each taking "limit less the reserve" would spend it twice).
 */
const API_SHARE = 1 / 4;
/** Never fewer API connections than this, however low the limit (an operator must get in). */
const MIN_API_CONNECTIONS = 8;

function sharedFds(limits: FdLimits, reserveFds: number): number {
  return Math.max(0, limits.soft - reserveFds);
}

/**
 * The default cap on the proxy's client connections: each proxied connection holds two fds
 * (client and upstream), so half of what the reserve and the API's share leave. With the
 * common limits: 256 → 48, 1024 → 336, 65536 → 24528.
 */
export function defaultMaxConnections(limits: FdLimits | undefined, reserveFds = CONTROL_PLANE_RESERVE_FDS): number {
  if (limits === undefined) return FALLBACK_MAX_CONNECTIONS;
  if (!Number.isFinite(limits.soft)) return MAX_DERIVED_CONNECTIONS;
  const shared = sharedFds(limits, reserveFds);
  const derived = Math.floor((shared - Math.floor(shared * API_SHARE)) / 2);
  return Math.min(MAX_DERIVED_CONNECTIONS, Math.max(MIN_MAX_CONNECTIONS, derived));
}

/**
 * The most API connections to allow: the configured cap, lowered to the API's share of what
 * the reserve leaves (256 → 32, 1024 → 224), so idle API connections under a low limit
 * cannot starve health checks and gossip of descriptors.
 */
export function apiMaxConnections(configured: number, limits: FdLimits | undefined, reserveFds = CONTROL_PLANE_RESERVE_FDS): number {
  if (limits === undefined || !Number.isFinite(limits.soft)) return configured;
  const share = Math.floor(sharedFds(limits, reserveFds) * API_SHARE);
  return Math.max(MIN_API_CONNECTIONS, Math.min(configured, share));
}
