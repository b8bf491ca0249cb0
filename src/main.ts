import { runCli, describeBug, EXIT_BUG } from './cli/index.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(describeBug(err));
    process.exitCode = EXIT_BUG;
  },
);
