import { getAsset } from 'node:sea';
import { runCli, describeBug, setProxyWorkerScript, EXIT_BUG } from './cli/index.js';

/** Set by scripts/bundle.ts in the bundles; absent when running from source. */
declare const __SIDECAR_BUNDLE__: 'executable' | 'package' | undefined;

// The proxy worker threads run a bundle of their own beside this one (scripts/bundle.ts
// WORKER_BUNDLE): a file next to the package's entry, an asset inside the executable. From
// source, the default (src/proxy/workers/worker-entry.ts) is right.
const bundle = typeof __SIDECAR_BUNDLE__ === 'undefined' ? undefined : __SIDECAR_BUNDLE__;
if (bundle === 'package') setProxyWorkerScript({ url: new URL('./proxy-worker.js', import.meta.url) });
if (bundle === 'executable') setProxyWorkerScript({ code: getAsset('proxy-worker.cjs', 'utf8') });

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(describeBug(err));
    process.exitCode = EXIT_BUG;
  },
);
