import { FakeClock, TimestampSource, parseTimestamp, silentLogger, type Timestamp } from '../../src/core/index.js';
import { ServicesState, ServiceStatus, type Service } from '../../src/catalog/index.js';

/** A service record with test defaults (the Go tests' `bocaccio` on `chaucer`). */
export function makeService(overrides: Partial<Service> = {}): Service {
  return {
    id: 'deadbeef123',
    name: 'bocaccio',
    image: '101deadbeef',
    created: parseTimestamp('2023-11-14T10:21:33.123456789Z'),
    hostname: 'chaucer',
    ports: [{ type: 'tcp', port: 9999, servicePort: 10100, ip: '127.0.0.1' }],
    updated: parseTimestamp('2023-11-14T10:21:34.5Z'),
    proxyMode: 'http',
    status: ServiceStatus.ALIVE,
    ...overrides,
  };
}

export interface StateFixture {
  readonly clock: FakeClock;
  readonly stamps: TimestampSource;
  readonly state: ServicesState;
}

/** A state for host `chaucer` on a fake clock starting at `start`. */
export function makeState(start = '2023-11-14T10:21:40Z', hostname = 'chaucer'): StateFixture {
  const clock = new FakeClock(Number(parseTimestamp(start) / 1_000_000n));
  const stamps = new TimestampSource(clock);
  const state = new ServicesState({ hostname, clusterName: 'default', clock, stamps, logger: silentLogger() });
  return { clock, stamps, state };
}

export function ts(text: string): Timestamp {
  return parseTimestamp(text);
}
