import { readFdLimits, systemClock, type Clock, type Logger } from '../core/index.js';
import type { SidecarConfig } from '../config/index.js';
import { LoadBalancer } from '../proxy/index.js';
import { WatchFollower } from '../discovery/index.js';
import { loadBalancerOptions } from './load-balancer-options.js';

export interface ProxyFollowerOptions {
  readonly config: SidecarConfig;
  /** `host:port` of the Sidecar to follow. */
  readonly target: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * `sidecar proxy --follow`: only the load balancer, fed by another Sidecar's watch stream.
 * The routes stay as they were while that Sidecar restarts, so traffic keeps flowing across
 * agent upgrades. This is the composition root of that mode (it wires discovery's
 * WatchFollower to proxy's LoadBalancer with the configured fd budget), so it stays in
 * daemon: proxy may not import discovery or config, and cli reaches components only
 * through daemon.
 */
export class ProxyFollower {
  private readonly lb: LoadBalancer;
  private readonly follower: WatchFollower;
  private pending: Promise<void> = Promise.resolve();
  private readonly proxyLogger: Logger;

  constructor(options: ProxyFollowerOptions) {
    const clock = options.clock ?? systemClock;
    this.proxyLogger = options.logger.child({ component: 'proxy' });
    this.lb = new LoadBalancer(loadBalancerOptions(options.config, readFdLimits(), this.proxyLogger, clock));
    this.follower = new WatchFollower({
      target: options.target,
      clock,
      logger: options.logger.child({ component: 'follow' }),
      onState: (services) => {
        this.pending = this.pending.then(() => this.lb.update(services));
      },
    });
  }

  start(): void {
    this.follower.start();
  }

  get balancer(): LoadBalancer {
    return this.lb;
  }

  async close(): Promise<void> {
    this.follower.close();
    await this.pending;
    await this.lb.close();
  }
}
