import type { MemberState } from '../membership/index.js';
import type { MetricSources } from './metric-sources.js';
import { labelText, type Samples } from './samples.js';

const MEMBER_STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** The membership engine's families from `Memberlist.stats()`, its members and its health score. */
export function addGossipSamples(out: Samples, gossip: NonNullable<MetricSources['gossip']>): void {
  const byState = new Map<MemberState, number>(MEMBER_STATES.map((s) => [s, 0]));
  for (const m of gossip.members()) byState.set(m.state, (byState.get(m.state) ?? 0) + 1);
  for (const [state, n] of byState) out.add('gossipMembers', labelText({ state }), n);
  const s = gossip.stats();
  for (const [type, n] of Object.entries(s.messagesSent)) out.add('gossipMessagesSent', labelText({ type }), n);
  for (const [type, n] of Object.entries(s.messagesReceived)) out.add('gossipMessagesReceived', labelText({ type }), n);
  for (const [reason, n] of Object.entries(s.dropped)) out.add('gossipDropped', labelText({ reason }), n);
  out.add('gossipPacketsSent', '', s.packetsSent);
  out.add('gossipPacketsReceived', '', s.packetsReceived);
  out.add('gossipSentBytes', '', s.bytesSent);
  out.add('gossipReceivedBytes', '', s.bytesReceived);
  out.add('gossipProbes', '', s.probes);
  out.add('gossipProbesFailed', '', s.probesFailed);
  out.add('gossipIndirectProbes', '', s.indirectProbes);
  out.add('gossipTcpFallbackProbes', '', s.tcpFallbackProbes);
  out.add('gossipSuspicions', '', s.suspicionsRaised);
  out.add('gossipRefutations', '', s.refutations);
  out.add('gossipStallGraces', '', s.stallGraces);
  out.add('gossipPushPulls', labelText({ outcome: 'ok' }), s.pushPulls - s.pushPullsFailed);
  out.add('gossipPushPulls', labelText({ outcome: 'failed' }), s.pushPullsFailed);
  out.add('gossipBroadcastQueue', labelText({ kind: 'members' }), s.broadcastQueue.members);
  out.add('gossipBroadcastQueue', labelText({ kind: 'users' }), s.broadcastQueue.users);
  out.add('gossipHealthScore', '', gossip.healthScore);
  out.add('gossipIncarnation', '', gossip.localIncarnation);
}
