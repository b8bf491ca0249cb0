import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../../helpers/eventually.js';
import { VERSION } from '../../../src/cli/version.js';

/**
 * The npm package is conventional: `npm pack` (which builds dist/cli.js in `prepare`), then
 * `npm install --omit=dev <tarball>` in an empty folder outside the checkout gives a
 * `sidecar` that runs with no dev dependency (no tsx, no TypeScript) and no autocannon.
 */
const run = promisify(execFile);
const ROOT = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'sidecar-pkg-'));
const app = join(work, 'app');
const bin = join(app, 'node_modules', '.bin', 'sidecar');

before(async () => {
  await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, timeout: 120_000 });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball !== undefined, 'npm pack wrote no tarball');
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'sidecar-package-test', private: true }));
  await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], { cwd: app, timeout: 300_000 });
});

after(() => rmSync(work, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('the installed package holds the built entry and only runtime dependencies', () => {
  const pkg = join(app, 'node_modules', 'sidecar-node');
  assert.ok(existsSync(join(pkg, 'dist', 'cli.js')));
  assert.ok(!existsSync(join(pkg, 'src')), 'the sources are not shipped');
  assert.match(readFileSync(join(pkg, 'dist', 'cli.js'), 'utf8').split('\n')[0] ?? '', /^#!\/usr\/bin\/env -S node --max-semi-space-size=1 --optimize-for-size$/);
  for (const dev of ['tsx', 'typescript', 'esbuild', 'autocannon']) {
    assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} was installed`);
  }
});

test('npx sidecar --version and --help work', { timeout: 60_000 }, async () => {
  const version = await run('npx', ['--no', '--', 'sidecar', '--version'], { cwd: app });
  assert.equal(version.stdout.trim(), VERSION);
  const help = await run('npx', ['--no', '--', 'sidecar', '--help'], { cwd: app });
  assert.match(help.stdout, /Usage: sidecar/);
  assert.match(help.stdout, /agent/);
});

test('sidecar bench says autocannon is missing instead of crashing', { timeout: 60_000 }, async () => {
  await assert.rejects(run(bin, ['bench', 'http://127.0.0.1:1/'], { cwd: app }), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr ?? '', /needs the optional package autocannon/);
    return true;
  });
});

test('the installed sidecar runs the agent with its V8 flags until its API answers', { timeout: 60_000 }, async () => {
  const httpPort = await freePort();
  const bindPort = await freePort();
  const staticFile = join(work, 'static.json');
  writeFileSync(staticFile, JSON.stringify([{ Service: { Name: 'pkg-web', Image: 'x', Ports: [{ Type: 'tcp', Port: 1, ServicePort: 0 }] } }]));
  const args = ['--discover', 'static', '--static-config', staticFile, '--http-port', String(httpPort), '--bind-port', String(bindPort)];
  const child = spawn(bin, [...args, '--advertise-ip', '127.0.0.1', '--no-proxy', '--logging-format', 'json'], {
    cwd: app,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  after(() => child.kill('SIGKILL'));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${stderr}`);
      const state = (await (await fetch(`http://127.0.0.1:${httpPort}/api/services.json`)).json()) as { Services: Record<string, unknown[]> };
      assert.equal(state.Services['pkg-web']?.length, 1);
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  // `env -S` on the #! line execs node itself with the flags: the child is node.
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes('--max-semi-space-size=1') && cmdline.includes('--optimize-for-size'), cmdline.join(' '));
  child.kill('SIGTERM');
  const [code] = await new Promise<[number | null]>((r) => child.on('exit', (c) => r([c])));
  assert.equal(code, 0, stderr);
});
