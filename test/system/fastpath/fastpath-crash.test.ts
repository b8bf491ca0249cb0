import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentProcess } from '../../helpers/agent-process.js';
import { eventually } from '../../helpers/eventually.js';
import { netnsSkipReason } from '../../helpers/netns.js';
import {
  assertRoundRobin, holdConnection, kill, logsMatching, probe, rules, startBackend, startFastpathAgent, writeStatic,
} from './fastpath-lan.js';
import { makeNetnsLan, type NetnsLan } from './netns-lan.js';

// An endpoint that dies (not drained: the static file still names it) and an agent that dies.
// The agent on h1 forwards a tcp service with an instance on h2 and one on h3, each with a Tcp
// health check (the agent's default interval, 3 s, fall 1), through the kernel.
const skip = netnsSkipReason();

let lan: NetnsLan;
let dir: string;
let file: string;
const children: ChildProcess[] = [];
const backends = new Map<number, ChildProcess>();
const agents: AgentProcess[] = [];

before(async () => {
  if (skip !== undefined) return;
  lan = makeNetnsLan(`scfk${process.pid}`, 3);
  dir = mkdtempSync(join(tmpdir(), 'sidecar-fastpath-crash-'));
  file = join(dir, 'static.json');
  for (const k of [2, 3]) backends.set(k, await startBackend(lan, k));
  writeStatic(lan, file, [2, 3], 'tcp');
});

after(async () => {
  for (const agent of agents) await kill(agent.child);
  for (const child of [...children, ...backends.values()]) await kill(child);
  lan?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const RULE_H2 = /10\.78\.0\.2 \. 9000/;
const RULE_H3 = /10\.78\.0\.3 \. 9000/;

/** Waits until the kernel's rules DNAT to both h2 and h3 (the agent must still run). */
async function bothInRules(agent: AgentProcess): Promise<void> {
  await eventually(() => {
    if (agent.child.exitCode !== null) throw new Error(`agent exited: ${agent.stderr()}`);
    const now = rules(lan);
    assert.match(now, RULE_H2);
    assert.match(now, RULE_H3);
  }, { timeoutMs: 20_000 });
}

test('a killed endpoint leaves the rotation at the next health check; a connection to the other carries on', { skip, timeout: 60_000 }, async (t) => {
  const agent = startFastpathAgent(lan, file);
  agents.push(agent);
  await bothInRules(agent);
  assertRoundRobin(probe(lan, 4), 'h2', 'h3');

  // An established connection to h2 (round robin: at most two tries).
  let held = await holdConnection(lan, children);
  if (held.name !== 'h2') {
    await held.close();
    held = await holdConnection(lan, children);
  }
  assert.equal(held.name, 'h2');

  // h3's process dies; the static file still names it.
  const killedAt = Date.now();
  await kill(backends.get(3));
  await eventually(() => assert.doesNotMatch(rules(lan), RULE_H3), { timeoutMs: 15_000, intervalMs: 20 });
  const goneMs = Date.now() - killedAt;
  t.diagnostic(`kill to rule gone: ${goneMs} ms (Tcp check every 3,000 ms, fall 1)`);
  // At the first check after the kill (one interval, then a catalog update and one transaction), not a later one.
  assert.ok(goneMs < 2 * 3_000, `rule gone after ${goneMs} ms`);
  assert.match(rules(lan), RULE_H2);

  assert.deepEqual(probe(lan, 4), ['h2', 'h2', 'h2', 'h2']);
  assert.equal(await held.echo('still here'), 'still here');
  await held.close();

  // h3 back: it rejoins the rotation at a later check.
  backends.set(3, await startBackend(lan, 3));
  await eventually(() => assert.match(rules(lan), RULE_H3), { timeoutMs: 15_000, intervalMs: 50 });
  assertRoundRobin(probe(lan, 4), 'h2', 'h3');
  assert.equal(await agent.stop(), 0);
  assert.doesNotMatch(lan.exec(1, ['nft', 'list', 'tables']), /sidecar/);
});

test('SIGKILL leaves the table; a restarted agent replaces it and routes again', { skip, timeout: 60_000 }, async () => {
  const first = startFastpathAgent(lan, file);
  agents.push(first);
  await bothInRules(first);
  await eventually(() => assert.equal(logsMatching(first, /left by an earlier agent/).length, 0, 'no leftover at the first start'));
  assertRoundRobin(probe(lan, 4), 'h2', 'h3');

  // The real crash: no chance to clean up. The table stays, and still forwards.
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  assert.match(lan.exec(1, ['nft', 'list', 'tables']), /^table ip sidecar$/m);
  assert.match(rules(lan), RULE_H2);
  assertRoundRobin(probe(lan, 4), 'h2', 'h3');

  // h3 leaves the static file while no agent runs: the leftover table still names it.
  writeStatic(lan, file, [2], 'tcp');
  const second = startFastpathAgent(lan, file);
  agents.push(second);
  await eventually(() => {
    if (second.child.exitCode !== null) throw new Error(`agent exited: ${second.stderr()}`);
    assert.equal(logsMatching(second, /removed a table left by an earlier agent/).length, 1, 'the replacement is reported once');
    const now = rules(lan);
    assert.match(now, RULE_H2);
    assert.doesNotMatch(now, RULE_H3);
  }, { timeoutMs: 20_000 });
  assert.deepEqual(probe(lan, 3), ['h2', 'h2', 'h2']);

  // And it follows the catalog again: h3 back in the file, back in the rotation.
  writeStatic(lan, file, [2, 3], 'tcp');
  await bothInRules(second);
  assertRoundRobin(probe(lan, 4), 'h2', 'h3');
  assert.equal(await second.stop(), 0);
  assert.doesNotMatch(lan.exec(1, ['nft', 'list', 'tables']), /sidecar/);
});
