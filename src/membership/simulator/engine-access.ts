/**
 * What the simulator needs from inside a Memberlist that its public API does not offer yet,
 * in one place (STOPGAP: replace with public hooks on Memberlist, then delete this file):
 *
 * - a warm start: a 5,000-node cluster built by joins costs O(N²) push/pulls and leaves
 *   every node with thousands of alive broadcasts queued; instead each node's member table
 *   is told about every other node directly, as if by a push/pull, without gossiping it
 *   (wanted hook: `Memberlist.seedMembers(alives)`);
 * - with a warm start, the first push/pull spread over the interval a node of a settled cluster
 *   uses (pushPullScaleMs of the cluster size: 180 s at 5,000 nodes) instead of the first
 *   20 s, where start() puts it because a node that just started knows only itself (memberlist
 *   does the same); otherwise a warm-started 5,000-node run does 5,000 full push/pulls in its
 *   first 20 simulated seconds (wanted: start() staggers by pushPullScaleMs(interval, known
 *   members), identical for a real start);
 * - a node's own incarnation, which rises each time it refutes a suspicion (the simulator counts
 *   refutations with it) (wanted hook: `Memberlist.localIncarnation`).
 *
 * It reads Memberlist's private `table` field; a refactor that renames it fails here loudly.
 */
import { BugError, type Clock, type TimerHandle } from '../../core/index.js';
import type { Memberlist } from '../memberlist.js';
import type { MemberTable } from '../members.js';
import type { Alive } from '../messages.js';

function tableOf(list: Memberlist): MemberTable {
  // Private field access on purpose (see the file comment); checked at run time.
  const table = (list as unknown as { readonly table?: MemberTable }).table;
  if (table === undefined || typeof table.aliveNode !== 'function') {
    throw new BugError('simulator: Memberlist has no member table where engine-access.ts expects it (update the simulator)');
  }
  return table;
}

/** Adds members as a push/pull would, without queueing broadcasts (the warm start). */
export function seedMembers(list: Memberlist, alives: readonly Alive[]): void {
  const table = tableOf(list);
  for (const a of alives) table.aliveNode(a);
}

interface PushPullInternals {
  pushPullTimer?: TimerHandle | null;
  schedulePushPull?: (delayMs: number) => void;
  readonly ctx?: { readonly clock: Clock };
}

/** Moves a started node's next push/pull to `delayMs` from now. */
export function reschedulePushPull(list: Memberlist, delayMs: number): void {
  // Private members on purpose (see the file comment); checked at run time.
  const x = list as unknown as PushPullInternals;
  if (x.pushPullTimer === undefined || typeof x.schedulePushPull !== 'function' || x.ctx === undefined) {
    throw new BugError('simulator: Memberlist push/pull scheduling is not where engine-access.ts expects it (update the simulator)');
  }
  if (x.pushPullTimer !== null) x.ctx.clock.clearTimeout(x.pushPullTimer);
  x.pushPullTimer = null;
  x.schedulePushPull.call(list, delayMs);
}

/** `list`'s own incarnation: it rises by one each time the node refutes a suspicion. */
export function localIncarnation(list: Memberlist): number {
  return tableOf(list).localIncarnation;
}
