import type { CheckOutcome, Checker } from './checker.js';

/** Docker's own health status of a container, as Docker discovery tracks it. */
export type DockerHealthState = 'healthy' | 'unhealthy' | 'starting' | undefined;

/**
 * `DockerHealth` (new): a container with a Docker HEALTHCHECK and no `HealthCheck` label is
 * judged by Docker's own health status (newrelic/sidecar#22). Args are the container ID;
 * the status comes from Docker discovery, which follows `health_status` events.
 */
export class DockerHealthChecker implements Checker {
  readonly inMemory = true;

  constructor(private readonly status: (containerId: string) => DockerHealthState) {}

  run(args: string): Promise<CheckOutcome> {
    switch (this.status(args.trim())) {
      case 'healthy':
        return Promise.resolve({ result: 'healthy' });
      case 'starting':
        return Promise.resolve({ result: 'unknown', error: 'Docker health: starting' });
      case 'unhealthy':
        return Promise.resolve({ result: 'sickly', error: 'Docker health: unhealthy' });
      case undefined:
        return Promise.resolve({ result: 'unknown', error: `no Docker health status for container ${JSON.stringify(args)}` });
    }
  }
}
