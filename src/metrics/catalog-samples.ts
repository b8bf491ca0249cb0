import { timestampToMs } from '../core/index.js';
import { statusString } from '../catalog/index.js';
import type { MetricSources } from './metric-sources.js';
import { labelText, type Samples } from './samples.js';

/** `alive`, `tombstone`, `unhealthy`, `unknown`, `draining`: the status names, as label values. */
const STATUS_LABELS = [0, 1, 2, 3, 4].map((code) => statusString(code).toLowerCase());

/** The catalog's families: records by status (all hosts and this host), changes, health, listeners, replication. */
export function addCatalogSamples(out: Samples, sources: MetricSources): void {
  const { state } = sources;
  const all = new Array<number>(STATUS_LABELS.length).fill(0);
  const local = new Array<number>(STATUS_LABELS.length).fill(0);
  let hosts = 0;
  for (const server of state.servers.values()) {
    if (server.services.size > 0) hosts++;
    const mine = server.name === state.hostname;
    for (const svc of server.services.values()) {
      const i = svc.status >= 0 && svc.status < all.length ? svc.status : 1;
      all[i] = (all[i] ?? 0) + 1;
      if (mine) local[i] = (local[i] ?? 0) + 1;
    }
  }
  const stats = state.stats;
  STATUS_LABELS.forEach((status, i) => {
    out.add('catalogServices', labelText({ status }), all[i] ?? 0);
    out.add('catalogLocalServices', labelText({ status }), local[i] ?? 0);
    out.add('catalogStateChanges', labelText({ status }), stats.stateChanges[i] ?? 0);
  });
  out.add('catalogHosts', '', hosts);
  out.add('catalogLastChange', '', timestampToMs(state.lastChanged) / 1000);
  out.add('catalogStaleDropped', '', stats.staleRecordsDropped);
  for (const c of sources.health?.checkCounts() ?? []) out.add('healthChecks', labelText({ type: c.type, outcome: c.outcome }), c.count);
  for (const l of sources.listeners?.list() ?? []) {
    out.add('listenerPosts', labelText({ listener: l.name, outcome: 'posted' }), l.posted);
    out.add('listenerPosts', labelText({ listener: l.name, outcome: 'failed' }), l.failed);
    out.add('listenerPosts', labelText({ listener: l.name, outcome: 'dropped' }), l.dropped);
  }
  const replication = sources.replication?.();
  if (replication !== undefined) {
    const { replicator: r, delegate: d } = replication;
    out.add('replicationBroadcasts', '', r.broadcasts);
    out.add('replicationRelayed', '', r.relayed);
    out.add('replicationHostsExpired', '', r.hostsExpired);
    out.add('replicationMessages', labelText({ outcome: 'merged' }), d.messagesMerged);
    out.add('replicationMessages', labelText({ outcome: 'malformed' }), d.messagesMalformed);
    out.add('replicationStates', labelText({ outcome: 'merged' }), d.statesMerged);
    out.add('replicationStates', labelText({ outcome: 'malformed' }), d.statesMalformed);
  }
}
