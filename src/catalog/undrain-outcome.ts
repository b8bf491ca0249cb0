import type { Service } from './service.js';

/** What an undrain of a local service did (the owner of the local services decides, the API answers). */
export type UndrainOutcome =
  | { readonly kind: 'notFound' }
  /** Announced UNKNOWN; its health check makes it ALIVE again. */
  | { readonly kind: 'undrained'; readonly service: Service }
  | { readonly kind: 'notDraining'; readonly service: Service }
  /** The host is in maintenance: every local service stays DRAINING until it is turned off. */
  | { readonly kind: 'maintenance'; readonly service: Service };
