import type { CheckOutcome, Checker } from './checker.js';

const HEALTHY: CheckOutcome = { result: 'healthy' };
const STARTING: CheckOutcome = { result: 'unknown', error: 'Docker health: starting' };
const UNHEALTHY: CheckOutcome = { result: 'sickly', error: 'Docker health: unhealthy' };

/** Docker's own health status of a container, as Docker discovery tracks it. */
export type DockerHealthState = 'healthy' | 'unhealthy' | 'starting' | undefined;

/**
 * `DockerHealth` (new): a container with a Docker HEALTHCHECK and no `HealthCheck` label is
 * judged by Docker's own health status (newrelic/sidecar#22). Args are the container ID;
 * the status comes from Docker discovery, which follows `health_status` events.
 */
export class DockerHealthChecker implements Checker {
  constructor(private readonly status: (containerId: string) => DockerHealthState) {}

  run(args: string): Promise<CheckOutcome> {
    return Promise.resolve(this.runNow(args));
  }

  runNow(args: string): CheckOutcome {
    switch (this.status(args.trim())) {
      case 'healthy':
        return HEALTHY;
      case 'starting':
        return STARTING;
      case 'unhealthy':
        return UNHEALTHY;
      case undefined:
        return { result: 'unknown', error: `no Docker health status for container ${JSON.stringify(args)}` };
    }
  }
}
