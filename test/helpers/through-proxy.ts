import { connect } from 'node:net';

/** Connects to a load balancer's port and returns what the backend said ('' when refused or cut, or after `timeoutMs`). */
export function throughProxy(ip: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    let got = '';
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}
