/** daemon: the composition root — builds, wires, starts and stops one agent. */
export { Daemon, type DaemonOptions } from './daemon.js';
export { closeOnSignal } from './signals.js';
export { ProxyFollower, type ProxyFollowerOptions } from './proxy-follower.js';
export { setProxyWorkerScript, type WorkerScript } from '../proxy/index.js';
/** Status names for the CLI's own log lines (the demo backends' change events). */
export { statusName } from '../catalog/index.js';
