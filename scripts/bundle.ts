// The one esbuild step that bundles the agent (src/main.ts), shared by the single executable
// (scripts/build-binary.ts) and the npm package's entry (scripts/build-package.ts).
import { dirname, join } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

/**
 * Node flags the agent always runs with: a 1 MiB young generation, and V8's heap sized for
 * memory rather than speed (`--optimize-for-size`: the old generation grows less before a
 * full collection). Measured with bench/proxy, which runs with the same flags by default: RSS
 * under load 69–76 MiB (21–29 MiB private) instead of 88–133 MiB on Node 24, at equal req/s.
 * The executable embeds them, the package's entry puts them on its `#!` line, and bin/sidecar
 * (running from source) passes them too.
 */
export const AGENT_V8_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'] as const;

/**
 * Native addons that dependencies load inside try/catch (ssh2's crypto bindings,
 * cpu-features) become modules that throw, so those dependencies fall back to plain
 * JavaScript (a SEA can only require built-in modules). `supports-color` is required
 * unguarded (by chalk, through autocannon), so it becomes "no colour support".
 */
const stubOptionalNative: Plugin = {
  name: 'stub-optional-native',
  setup(b) {
    b.onResolve({ filter: /\.node$|^cpu-features$/ }, (args) => ({ path: args.path, namespace: 'stub-throw' }));
    b.onLoad({ filter: /.*/, namespace: 'stub-throw' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not available in the single executable`)});`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^supports-color$/ }, (args) => ({ path: args.path, namespace: 'stub-no-color' }));
    b.onLoad({ filter: /.*/, namespace: 'stub-no-color' }, () => ({
      contents: 'module.exports = { supportsColor: () => false, stdout: false, stderr: false };',
      loader: 'js',
    }));
  },
};

/** The worker thread's script beside the agent's bundle: its own smaller bundle (src/proxy/workers/worker-entry.ts). */
export const WORKER_BUNDLE = { executable: 'proxy-worker.cjs', package: 'proxy-worker.js' } as const;

/**
 * Bundles src/main.ts into `outfile`, and the proxy worker thread's entry into
 * {@link WORKER_BUNDLE} beside it (the SEA embeds it as an asset of that name).
 * - `executable`: everything in one CommonJS file (a SEA can load nothing else).
 * - `package`: our code in one ES module that imports its dependencies from node_modules
 *   (installed from package.json), with a `#!` line that runs Node with {@link AGENT_V8_FLAGS}.
 * `__SIDECAR_BUNDLE__` tells src/main.ts which bundle it is, so it can point the worker threads at theirs.
 */
export async function bundleAgent(kind: 'executable' | 'package', outfile: string): Promise<void> {
  const define = { __SIDECAR_BUNDLE__: JSON.stringify(kind) };
  const common: BuildOptions = { bundle: true, platform: 'node', minify: true, legalComments: 'none', logLevel: 'warning', define };
  const worker = join(dirname(outfile), WORKER_BUNDLE[kind]);
  const entries = [
    { entry: 'src/main.ts', out: outfile },
    { entry: 'src/proxy/workers/worker-entry.ts', out: worker },
  ];
  for (const { entry, out } of entries) {
    const one: BuildOptions = { ...common, entryPoints: [entry], outfile: out };
    if (kind === 'executable') {
      await build({ ...one, target: 'node24', format: 'cjs', plugins: [stubOptionalNative] });
      continue;
    }
    await build({
      ...one,
      target: 'node20',
      format: 'esm',
      packages: 'external',
      // `env -S` splits the line into node and its flags (GNU coreutils ≥ 8.30, BSD, macOS); the
      // flags cannot go in NODE_OPTIONS (`--optimize-for-size is not allowed in NODE_OPTIONS`).
      ...(entry === 'src/main.ts' ? { banner: { js: `#!/usr/bin/env -S node ${AGENT_V8_FLAGS.join(' ')}` } } : {}),
    });
  }
}
