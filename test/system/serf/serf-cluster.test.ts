/**
 * Our agent joins a cluster of Debian serf agents (stock hashicorp/memberlist) with
 * `--gossip-dialect memberlist`: `serf members` shows it alive, it lists the serf nodes, and
 * after a SIGKILL serf marks it failed. Once in plaintext, once with `-encrypt` keys. Skips
 * when serf is not installed, except under CI=true where it fails.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../../helpers/eventually.js';
import { startAgent } from '../../helpers/agent-process.js';

const serfInstalled = spawnSync('serf', ['version'], { stdio: 'ignore' }).status === 0;
const skip = serfInstalled ? false : 'serf is not installed (run scripts/serf/install-serf.sh, or apt-get install serf)';

interface Serf {
  readonly child: ChildProcess;
  readonly port: number;
  readonly rpcPort: number;
  output(): string;
}

function startSerf(name: string, port: number, key: string | null, join: number | null): Serf {
  const args = ['agent', '-node', name, '-bind', `127.0.0.1:${port}`, '-advertise', `127.0.0.1:${port}`, '-rpc-addr', `127.0.0.1:${port + 1}`];
  if (key !== null) args.push('-encrypt', key);
  if (join !== null) args.push('-join', `127.0.0.1:${join}`);
  const child = spawn('serf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, port, rpcPort: port + 1, output: () => out };
}

/** `serf members` as name → status. */
function serfMembers(serf: Serf): Map<string, string> {
  const out = spawnSync('serf', ['members', '-rpc-addr', `127.0.0.1:${serf.rpcPort}`, '-format', 'json'], { encoding: 'utf8' }).stdout;
  const doc = JSON.parse(out === '' ? '{"members":[]}' : out) as { members: Array<{ name: string; status: string }> };
  return new Map(doc.members.map((m) => [m.name, m.status]));
}

async function scenario(key: string | null): Promise<void> {
  // Below the kernel's ephemeral range (32768+), which earlier suites fill with TIME_WAIT sockets.
  const base = 20000 + 10 * Math.floor(Math.random() * 1200);
  const serfs = [startSerf('serf0', base, key, null)];
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-serf-'));
  const file = join(dir, 'static.json');
  writeFileSync(file, '[]');
  try {
    await eventually(() => assert.ok(serfMembers(serfs[0] as Serf).get('serf0') === 'alive'), { timeoutMs: 20_000, intervalMs: 200 });
    serfs.push(startSerf('serf1', base + 2, key, base));
    await eventually(() => assert.equal(serfMembers(serfs[0] as Serf).get('serf1'), 'alive'), { timeoutMs: 20_000, intervalMs: 200 });

    const agent = startAgent(
      [
        '--hostname', 'ours', '--discover', 'static', '--static-config', file, '--http-port', '0', '--bind-port', String(base + 4),
        '--advertise-ip', '127.0.0.1', '--no-proxy', '--cluster-ip', `127.0.0.1:${base}`, '--gossip-dialect', 'memberlist',
        ...(key === null ? [] : ['--encrypt-key', key]),
      ],
    );
    try {
      const api = await agent.apiUrl();
      await eventually(
        () => {
          for (const s of serfs) assert.equal(serfMembers(s).get('ours'), 'alive', `ours on ${s.port}`);
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      await eventually(
        async () => {
          const members = (await (await fetch(`${api}/api/members.json`)).json()) as Record<string, { State: string }>;
          assert.equal(members['serf0']?.State, 'alive');
          assert.equal(members['serf1']?.State, 'alive');
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
    } finally {
      agent.child.kill('SIGKILL');
    }
    const killedAt = Date.now();
    await eventually(
      () => {
        for (const s of serfs) assert.equal(serfMembers(s).get('ours'), 'failed', `ours failed on ${s.port}`);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    process.stdout.write(`# serf${key === null ? '' : ' (encrypted)'}: our node failed on every serf agent ${Date.now() - killedAt} ms after SIGKILL\n`);
  } catch (err) {
    throw new Error(`${String(err)}\nserf output:\n${serfs.map((s) => s.output()).join('\n---\n')}`);
  } finally {
    for (const s of serfs) s.child.kill('SIGKILL');
  }
}

describe('our agent in a serf cluster', { skip, timeout: 180_000 }, () => {
  it('joins in plaintext, lists the serf nodes, and is failed after SIGKILL', () => scenario(null));
  it('does the same with -encrypt keys', () => scenario(randomBytes(16).toString('base64')));
});
