import type { Clock, Logger } from '../core/index.js';
import { OutlierDetector, type OutlierOptions, type OutlierState } from './outlier-detector.js';

/** Told when this thread ejects an endpoint (ServicePort, endpoint key, ejected until, ms since epoch). */
export type EjectionListener = (port: number, key: string, untilMs: number) => void;

/**
 * One forwarder's passive outlier ejection, TCP and HTTP alike: the detector, and what an
 * ejection does around it: one warning, the other worker threads told (`onEjected`), the count
 * kept for the stats; an ejection adopted from another worker or ended because the endpoint
 * rejoined its route (its health check passed) is logged too.
 */
export class EndpointEjections {
  private readonly detector: OutlierDetector;
  /** Ejections made by this forwarder (not those adopted from other workers). */
  count = 0;

  constructor(
    clock: Clock,
    private readonly logger: Logger,
    /** The ServicePort, as told to `onEjected`. */
    private readonly port: number,
    options: OutlierOptions | undefined,
    private readonly onEjected: EjectionListener | undefined,
  ) {
    this.detector = new OutlierDetector(clock, options);
  }

  isEjected(key: string): boolean {
    return this.detector.isEjected(key);
  }

  state(key: string): OutlierState | undefined {
    return this.detector.state(key);
  }

  /** The endpoint answered: its run of failures ends. */
  success(key: string): void {
    this.detector.success(key);
  }

  /** A failure of the endpoint's own (never a local shortage); the one that ejects it is logged and told. */
  failure(key: string): void {
    if (!this.detector.failure(key)) return;
    this.count++;
    const s = this.detector.state(key);
    this.logger.warn({ endpoint: key, ejections: s?.ejections, ejectedUntilMs: s?.ejectedUntilMs }, 'endpoint ejected after consecutive failures');
    if (s !== undefined) this.onEjected?.(this.port, key, s.ejectedUntilMs);
  }

  /** Another worker thread ejected `key` until `untilMs`: this one skips it too. */
  adopt(key: string, untilMs: number): void {
    if (this.detector.adopt(key, untilMs)) this.logger.debug({ endpoint: key, ejectedUntilMs: untilMs }, 'endpoint ejected by another worker');
  }

  /** Endpoints that rejoined their route (their health check passed): their ejections end. */
  forgive(keys: readonly string[] | undefined): void {
    for (const key of keys ?? []) {
      if (this.detector.isEjected(key)) this.logger.info({ endpoint: key }, 'ejected endpoint is healthy again; back in rotation');
      this.detector.forgive(key);
    }
  }
}
