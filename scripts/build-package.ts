// Builds dist/cli.js, the entry of the npm package (`bin.sidecar`): src/main.ts bundled by
// scripts/bundle.ts, executable, with the agent's V8 flags on its `#!` line. Runs from the
// `prepare` script, which npm runs on `npm ci`, on `npm install` in the checkout and on `npm pack`.
//   npm run build
import { chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleAgent } from './bundle.js';

const OUT = resolve('dist/cli.js');

bundleAgent('package', OUT).then(
  () => {
    chmodSync(OUT, 0o755);
    process.stdout.write(`build-package: wrote ${OUT}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`build-package: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
