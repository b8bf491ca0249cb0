/** Static discovery: the Go Sidecar's static.json, reloaded when it changes. */
export { StaticDiscovery, type StaticDiscoveryOptions } from './static-source.js';
export {
  parseStaticFile,
  type StaticFileContent,
  type StaticFileDefaults,
  type StaticTargetSpec,
  type TargetProblem,
} from './static-file.js';
