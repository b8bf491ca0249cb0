import * as net from 'node:net';
import { errorMessage } from '../core/index.js';
import { failureOutcome } from './local-shortage-outcome.js';
import { ABORTED_OUTCOME, type CheckOutcome, type Checker } from './checker.js';

/** `host:port` or `[v6]:port` → its parts, or null when malformed. */
export function parseHostPort(args: string): { host: string; port: number } | null {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(args) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(args);
  if (match === null) return null;
  const host = match[1] ?? '';
  const port = Number(match[2]);
  if (host === '' || port < 1 || port > 65535) return null;
  return { host, port };
}

/**
 * `Tcp` (new; the Go Sidecar has no such check): args `host:port`; a completed TCP connect is
 * healthy, anything else (refused, unreachable, bad args) unknown. The connection is closed
 * as soon as it opens; nothing is sent. A socket this host cannot open (out of descriptors or
 * ports) is a local shortage, not a failure of the service.
 */
export class TcpChecker implements Checker {
  /** @param connect opens the socket (`net.connect`; tests pass a fake). */
  constructor(private readonly connect: (options: net.NetConnectOpts) => net.Socket = net.connect) {}

  run(args: string, signal: AbortSignal): Promise<CheckOutcome> {
    const target = parseHostPort(args.trim());
    if (target === null) return Promise.resolve({ result: 'unknown', error: `invalid Tcp check target "${args}" (want host:port)` });
    if (signal.aborted) return Promise.resolve(ABORTED_OUTCOME);
    return new Promise<CheckOutcome>((resolve) => {
      let settled = false;
      let socket: net.Socket;
      try {
        socket = this.connect({ host: target.host, port: target.port });
      } catch (err) {
        resolve(failureOutcome(err, errorMessage(err)));
        return;
      }
      const settle = (outcome: CheckOutcome): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(outcome);
      };
      const onAbort = (): void => settle(ABORTED_OUTCOME);
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => settle({ result: 'healthy' }));
      socket.on('error', (err) => settle(failureOutcome(err, errorMessage(err))));
    });
  }
}
