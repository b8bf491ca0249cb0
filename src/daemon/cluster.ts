/**
 * Wires cluster membership to the catalog: the gossip transport on the bind port, the
 * Memberlist engine in the configured dialect and encryption, the Sidecar delegate and
 * replicator, and the background seed joiner.
 */
import type { Clock, Event, Logger } from '../core/index.js';
import type { ServicesState } from '../catalog/index.js';
import type { SidecarConfig } from '../config/index.js';
import {
  Keyring,
  LAN_MEMBERSHIP_OPTIONS,
  Memberlist,
  NetTransport,
  STOCK_MEMBERLIST,
  SERF_DELEGATE_VERSIONS,
  Reconnector,
  SeedJoiner,
  goSidecarDialect,
  membershipOptions,
} from '../membership/index.js';
import {
  Replicator,
  ServicesDelegate,
  type BroadcastScheduler,
  type OwnRecordDispute,
  type ReplicatorStats,
  type ServicesDelegateStats,
} from '../replication/index.js';

/** How long a stopping agent waits for its leave message to go out. */
const LEAVE_TIMEOUT_MS = 1500;
/** Gossip binds every IPv4 interface, as the Go Sidecar does. */
const GOSSIP_BIND_HOST = '0.0.0.0';

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

/**
 * Says loudly that plaintext gossip on a network can be forged, and how to turn encryption
 * on. Silent when encrypted, or when gossip is bound to and advertised on loopback only.
 */
function warnIfPlaintext(config: SidecarConfig, bindHost: string, advertiseIp: string, log: Logger): void {
  if (config.encryptKeys.length > 0 || (isLoopback(bindHost) && isLoopback(advertiseIp))) return;
  log.warn(
    { bind: `${bindHost}:${config.bindPort}`, advertise: advertiseIp },
    `GOSSIP IS NOT ENCRYPTED: anyone who can send UDP or TCP to port ${config.bindPort} of this host can add or remove members ` +
      'and forge or tombstone services (forged alive, dead and service records are accepted as genuine). ' +
      'Turn encryption on: run `sidecar keygen > gossip.key` once, copy the file to every host (chmod 600), and start every agent ' +
      'with --encrypt-key-file gossip.key (SIDECAR_ENCRYPT_KEY_FILE). Plaintext is only needed to join Go Sidecars, which have no key.',
  );
}

export interface ClusterParts {
  readonly memberlist: Memberlist;
  readonly joiner: SeedJoiner;
  /** Peers' copies of our own services that differ from ours and are not newer. */
  readonly ownRecordDisputes: Event<OwnRecordDispute>;
  /** The replication counters (for /metrics). */
  replicationStats(): { readonly replicator: ReplicatorStats; readonly delegate: ServicesDelegateStats };
  /** Leaves gracefully (peers drop us at once), then stops everything. */
  close(): Promise<void>;
}

export async function startCluster(
  config: SidecarConfig,
  state: ServicesState,
  scheduler: BroadcastScheduler,
  advertiseIp: string,
  clock: Clock,
  log: Logger,
): Promise<ClusterParts> {
  const logger = log.child({ component: 'membership' });
  warnIfPlaintext(config, GOSSIP_BIND_HOST, advertiseIp, logger);
  const transport = new NetTransport({ bindHost: GOSSIP_BIND_HOST, bindPort: config.bindPort, advertiseHost: advertiseIp, logger, clock });
  const [primary, ...extra] = config.encryptKeys;
  const delegate = new ServicesDelegate({ state, clusterName: config.clusterName, clock, logger: log.child({ component: 'replication' }) });
  const memberlist = new Memberlist({
    name: config.hostname,
    transport,
    delegate,
    wire: {
      dialect: config.gossipDialect === 'sidecar' ? goSidecarDialect(config.clusterName) : STOCK_MEMBERLIST,
      keyring: primary === undefined ? null : new Keyring(primary, extra),
    },
    membership: membershipOptions('lan', {
      pushPullIntervalMs: config.pushPullIntervalMs,
      gossipIntervalMs: config.gossipIntervalMs,
      gossipMessagesPerInterval: config.gossipMessages,
      // Stock memberlist peers (serf) time out suspicions with their own multiplier.
      suspicionMult: config.gossipDialect === 'sidecar' ? LAN_MEMBERSHIP_OPTIONS.suspicionMult : 4,
    }),
    ...(config.gossipDialect === 'memberlist' ? { delegateVersions: SERF_DELEGATE_VERSIONS } : {}),
    logger,
    clock,
  });
  const replicator = new Replicator({
    state,
    scheduler,
    cluster: memberlist,
    logger: log.child({ component: 'replication' }),
    disputes: delegate.onDidDisputeOwnRecord,
  });
  replicator.start();
  await memberlist.start();
  const joiner = new SeedJoiner({ member: memberlist, seeds: config.seeds, defaultPort: transport.advertiseAddress.port, clock, logger });
  void joiner.start();
  const reconnector = new Reconnector({ member: memberlist, clock, random: Math.random, logger });
  reconnector.start();
  return {
    memberlist,
    joiner,
    ownRecordDisputes: delegate.onDidDisputeOwnRecord,
    replicationStats: () => ({ replicator: replicator.stats, delegate: delegate.stats }),
    close: async () => {
      joiner.close();
      reconnector.close();
      await memberlist.leave(LEAVE_TIMEOUT_MS);
      replicator.close();
      await memberlist.close();
    },
  };
}
