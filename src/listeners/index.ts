/**
 * listeners: URL listeners, which POST a Go Sidecar StateChangedEvent to each URL
 * (LISTENERS_URLS, or discovered `/sidecar/update` endpoints) on every change event.
 */
export { UrlListener, type UrlListenerOptions, type UrlListenerStats, retryDelayMs } from './url-listener.js';
export {
  ListenerManager,
  type ListenerManagerOptions,
  type DiscoveredListener,
  type ListenerInfo,
} from './listener-manager.js';
