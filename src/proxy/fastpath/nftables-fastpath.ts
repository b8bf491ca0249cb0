import { isIP } from 'node:net';
import { ErrorCode, type Logger } from '../../core/index.js';
import type { RoutingTable } from '../routing-table.js';
import { fastpathRoutes, type FastpathRoute } from './fastpath-routes.js';
import { buildNftUpdate } from './nft-update.js';
import { FASTPATH_TABLE, buildNftRuleset, removeNftTable } from './nft-ruleset.js';
import { describeNftResult, runNft, type NftResult } from './nft-runner.js';
import { NftTableReader } from './nft-table-reader.js';
import { NftSession } from './nft-session.js';

export interface NftablesFastpathOptions {
  /** The well-known IP (IPv4) whose ServicePorts are DNATed. */
  readonly bindIp: string;
  readonly logger: Logger;
  /** The table the agent owns; default `sidecar`. Tests give their own. */
  readonly table?: string;
  /** The `nft` executable; default `nft` from PATH. */
  readonly nftPath?: string;
  /** One nft run is killed after this long. Default 5,000 ms (see {@link runNft}). */
  readonly applyTimeoutMs?: number;
}

/** `on`: the table follows the routes; `off`: fell back (see `reason`); `closed`: the table was removed at close. */
export type FastpathState = 'starting' | 'on' | 'off' | 'closed';

export interface FastpathStatus {
  readonly state: FastpathState;
  /** Why the fast path is off, when it is. */
  readonly reason?: string;
  /** ServicePorts the kernel forwards now, ascending. */
  readonly ports: readonly number[];
  /** Transactions applied, and failed, since start. */
  readonly applies: number;
  readonly failures: number;
  /** The last successful transaction, spawn to exit, in milliseconds. */
  readonly lastApplyMs?: number;
  /** The kernel's rules per port, read back on demand ({@link NftablesFastpath.describe}; at most one `nft` run a second). While on. */
  readonly rules?: readonly FastpathPortRules[];
  /** When `rules` were read (RFC 3339). */
  readonly rulesReadAt?: string;
  /** Why the rules could not be read back, when they could not. */
  readonly rulesError?: string;
}

/** One ServicePort as the kernel's rules have it (`sidecar fastpath show`). */
export interface FastpathPortRules {
  readonly servicePort: number;
  /** The service the agent's routes give the port (absent if the kernel has a port the routes no longer have). */
  readonly serviceName?: string;
  /** In round-robin order. */
  readonly endpoints: readonly FastpathEndpointRules[];
}

export interface FastpathEndpointRules {
  /** The route's endpoint key (`<hostname>-<id>`), when the routes have this ip:port on the port. */
  readonly key?: string;
  readonly ip: string;
  readonly port: number;
  /** New connections the kernel sent to it: its rule's counter (a NAT chain sees a connection's first packet only), since the rule was made. */
  readonly connections: number;
}

/**
 * Keeps the agent's nftables table equal to the routing table's `tcp` routes: one `nft -f -`
 * transaction per routing update (a burst of updates while one runs costs one more run, with
 * the newest table), none when the rules would not change; the first builds the table whole,
 * the others change only the ports that changed. At start it checks that `nft` is
 * there and allowed (CAP_NET_ADMIN) and removes a table left by an earlier agent; if it cannot
 * run it says why once and stays off, and the Node balancer, bound behind the rules on every
 * port anyway, serves. A failed transaction removes the table (the Node balancer serves) and
 * the next update tries again. `close()` removes the table.
 */
export class NftablesFastpath {
  private readonly table: string;
  private readonly log: Logger;
  private state: FastpathState = 'starting';
  private reason: string | undefined;
  private started: Promise<void> | undefined;
  private pending: RoutingTable | undefined;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** The routes the table in the kernel was built for (`undefined`: no table of ours, the next apply builds it whole). */
  private applied: readonly FastpathRoute[] | undefined;
  private ports: readonly number[] = [];
  private applies = 0;
  private failures = 0;
  private lastApplyMs: number | undefined;
  /** Applies the updates after the first (one long-lived `nft -i`); the whole table goes through `nft -f -`. */
  private readonly session: NftSession;
  /** Reads the table back for {@link describe}, on demand and at most once a second. */
  private readonly reader: NftTableReader;

  constructor(private readonly options: NftablesFastpathOptions) {
    this.table = options.table ?? FASTPATH_TABLE;
    this.log = options.logger;
    this.session = new NftSession({
      sentinelPrefix: this.table,
      ...(options.nftPath === undefined ? {} : { nftPath: options.nftPath }),
      ...(options.applyTimeoutMs === undefined ? {} : { timeoutMs: options.applyTimeoutMs }),
    });
    this.reader = new NftTableReader({
      table: this.table,
      bindIp: options.bindIp,
      ...(options.nftPath === undefined ? {} : { nftPath: options.nftPath }),
      ...(options.applyTimeoutMs === undefined ? {} : { timeoutMs: options.applyTimeoutMs }),
    });
  }

  /** Checks `nft` and the privilege, and removes a leftover table. Resolves true when the fast path is on. Once. */
  start(): Promise<boolean> {
    this.started ??= this.probe();
    return this.started.then(() => this.state === 'on');
  }

  /** The rules follow `table` (its `tcp` routes with IPv4 endpoints). Resolves once it is applied or dropped. */
  apply(table: RoutingTable): Promise<void> {
    this.pending = table;
    this.loop ??= this.drain().finally(() => {
      this.loop = undefined;
    });
    return this.loop;
  }

  status(): FastpathStatus {
    return {
      state: this.state,
      ...(this.reason === undefined ? {} : { reason: this.reason }),
      ports: this.ports,
      applies: this.applies,
      failures: this.failures,
      ...(this.lastApplyMs === undefined ? {} : { lastApplyMs: this.lastApplyMs }),
    };
  }

  /**
   * {@link status} with the kernel's view of each port: the table read back (`nft -j list
   * table`, reused for a second, so a busy UI cannot make the agent run nft in a loop), each
   * endpoint with its new-connection counter and, from the routes, its key and the port's service.
   */
  async describe(): Promise<FastpathStatus> {
    const status = this.status();
    if (this.state !== 'on') return status;
    const read = await this.reader.read();
    const rulesReadAt = new Date(read.readAtMs).toISOString();
    if (!read.ok) return { ...status, rulesReadAt, rulesError: read.error };
    const routes = new Map((this.applied ?? []).map((r) => [r.servicePort, r]));
    const rules = read.ports.map((port): FastpathPortRules => {
      const route = routes.get(port.servicePort);
      const keys = new Map(route?.endpoints.map((ep) => [`${ep.ip}:${ep.port}`, ep.key]));
      return {
        servicePort: port.servicePort,
        ...(route === undefined ? {} : { serviceName: route.serviceName }),
        endpoints: port.endpoints.map(({ ip, port: p, connections }) => {
          const key = keys.get(`${ip}:${p}`);
          return { ...(key === undefined ? {} : { key }), ip, port: p, connections };
        }),
      };
    });
    return { ...status, rules, rulesReadAt };
  }

  /** Waits for a running transaction, then removes the table. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.started;
      const wasOn = this.state === 'on';
      this.pending = undefined;
      await this.loop;
      await this.session.close();
      this.state = 'closed';
      if (!wasOn) return;
      const result = await this.run(removeNftTable(this.table));
      if (result.code === 0) this.log.info({ table: `ip ${this.table}` }, 'nftables fast path: table removed');
      else this.log.error({ code: ErrorCode.FASTPATH_APPLY, table: `ip ${this.table}`, nft: describeNftResult(result) }, 'nftables fast path: could not remove the table');
      this.applied = undefined;
      this.ports = [];
    })();
    return this.closing;
  }

  private async probe(): Promise<void> {
    if (isIP(this.options.bindIp) !== 4) return this.fallBack(`the bind IP ${this.options.bindIp} is not IPv4 (the fast path's table is \`ip\` only)`);
    const listed = await this.run('', ['list', 'tables']);
    if (listed.spawnError?.code === 'ENOENT') return this.fallBack('`nft` is not installed (Debian: apt-get install nftables)');
    if (listed.code !== 0) {
      const denied = /Operation not permitted|Permission denied/i.test(listed.stderr);
      return this.fallBack(denied ? 'the agent lacks CAP_NET_ADMIN (nft: Operation not permitted)' : `\`nft list tables\` failed: ${describeNftResult(listed)}`);
    }
    if (new RegExp(`^table ip ${this.table}$`, 'm').test(listed.stdout)) {
      const removed = await this.run(removeNftTable(this.table));
      if (removed.code !== 0) return this.fallBack(`could not remove the table ip ${this.table} left by an earlier agent: ${describeNftResult(removed)}`);
      this.log.warn({ table: `ip ${this.table}` }, 'nftables fast path: removed a table left by an earlier agent');
    }
    if (this.state !== 'starting') return; // closed meanwhile
    this.state = 'on';
    this.log.info({ table: `ip ${this.table}`, bindIp: this.options.bindIp }, 'nftables fast path on: TCP ServicePorts are forwarded by the kernel');
  }

  private fallBack(reason: string): void {
    if (this.state === 'starting') this.state = 'off';
    this.reason = reason;
    this.log.warn({ code: ErrorCode.FASTPATH_UNAVAILABLE, reason }, `nftables fast path unavailable: ${reason}; the Node balancer serves TCP ports`);
  }

  private async drain(): Promise<void> {
    await this.start();
    for (;;) {
      const table = this.pending;
      this.pending = undefined;
      if (table === undefined || this.state !== 'on' || this.closing !== undefined) return;
      const routes = fastpathRoutes(table);
      // The first apply (and the one after a failure) builds the table whole through `nft -f -`;
      // later ones change only what changed, as one line (one transaction) of the long-lived nft.
      let result: NftResult;
      if (this.applied === undefined) {
        result = await this.run(buildNftRuleset(routes, this.options.bindIp, this.table));
        // Starts the long-lived nft now (an empty line), so the next update does not wait for it to start.
        if (result.code === 0) await this.session.run('');
      } else {
        const update = buildNftUpdate(this.applied, routes, this.options.bindIp, this.table);
        if (update === '') continue;
        result = await this.session.run(update.trimEnd().split('\n').join('; '));
      }
      if (result.code === 0) {
        this.applied = routes;
        this.ports = routes.map((r) => r.servicePort);
        this.applies += 1;
        this.lastApplyMs = result.elapsedMs;
        this.log.debug({ ports: routes.length, applyMs: Math.round(result.elapsedMs * 100) / 100 }, 'nftables fast path: rules applied');
        continue;
      }
      this.failures += 1;
      this.log.error(
        { code: ErrorCode.FASTPATH_APPLY, nft: describeNftResult(result), ports: routes.length },
        'nftables fast path: the transaction failed; the table is removed and the Node balancer serves until the next change',
      );
      await this.run(removeNftTable(this.table));
      this.applied = undefined;
      this.ports = [];
    }
  }

  private run(stdin: string, args: readonly string[] = ['-f', '-']): Promise<NftResult> {
    return runNft(args, stdin, {
      ...(this.options.nftPath === undefined ? {} : { nftPath: this.options.nftPath }),
      ...(this.options.applyTimeoutMs === undefined ? {} : { timeoutMs: this.options.applyTimeoutMs }),
    });
  }
}
