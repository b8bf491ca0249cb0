/** Watch discovery: another Sidecar's whole state, followed over its `/api/watch` stream. */
export { WatchFollower, type WatchFollowerOptions } from './watch-follower.js';
