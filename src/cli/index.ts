/** cli: the `sidecar` command line (commander). */
export { runCli, buildProgram } from './program.js';
export { VERSION } from './version.js';
