/** cli: the `sidecar` command line (commander). */
export { runCli, buildProgram, describeBug } from './program.js';
export { EXIT_BUG } from './agent-command.js';
export { VERSION } from './version.js';
export { setProxyWorkerScript } from '../daemon/index.js';
