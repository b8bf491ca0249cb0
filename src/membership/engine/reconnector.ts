/**
 * Heals partitions (serf's reconnect): members that failed (dead, not left) are remembered,
 * and every interval one of them, at random, gets a join attempt. Two halves of a cluster that
 * each declared the other dead find each other again once the network heals, which memberlist
 * alone never does after it stops gossiping to the dead.
 */
import type { Clock, Disposable, Event, Logger, TimerHandle } from '../../core/index.js';
import type { Member } from './members.js';
import { addressOf } from './protocol-context.js';
import type { PushPullResult } from './stream-exchange.js';
import { formatPeerAddress, type PeerAddress } from '../transports/transport.js';

export interface Reconnectable {
  join(seeds: readonly PeerAddress[]): Promise<PushPullResult[]>;
  readonly onDidJoin: Event<Member>;
  readonly onDidLeave: Event<Member>;
}

export interface ReconnectorOptions {
  readonly member: Reconnectable;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Time between attempts, in ms. Default 10 000 (serf waits 30 s; a connect to a dead address costs nothing). */
  readonly intervalMs?: number;
  /** A failed member is forgotten after this long, in ms. Default 24 h (serf's reconnect timeout). */
  readonly forgetAfterMs?: number;
}

interface Failed {
  readonly address: PeerAddress;
  readonly failedAtMs: number;
}

export class Reconnector {
  private readonly failed = new Map<string, Failed>();
  private readonly subscriptions: Disposable[] = [];
  private timer: TimerHandle | null = null;

  constructor(private readonly options: ReconnectorOptions) {}

  /** Names waiting for a reconnect (for tests and the API). */
  get pending(): string[] {
    return [...this.failed.keys()];
  }

  start(): void {
    if (this.timer !== null) return;
    const { member, clock } = this.options;
    this.subscriptions.push(
      member.onDidLeave((m) => {
        if (m.state === 'dead') this.failed.set(m.name, { address: addressOf(m), failedAtMs: clock.nowMs() });
        else this.failed.delete(m.name);
      }),
      member.onDidJoin((m) => this.failed.delete(m.name)),
    );
    this.timer = clock.setInterval(() => this.tick(), this.options.intervalMs ?? 10_000);
  }

  close(): void {
    if (this.timer !== null) this.options.clock.clearInterval(this.timer);
    this.timer = null;
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private tick(): void {
    const now = this.options.clock.nowMs();
    const forgetMs = this.options.forgetAfterMs ?? 24 * 3600_000;
    for (const [name, f] of this.failed) if (now - f.failedAtMs > forgetMs) this.failed.delete(name);
    const names = [...this.failed.keys()];
    const name = names[Math.floor(this.options.random() * names.length)];
    const target = name === undefined ? undefined : this.failed.get(name);
    if (name === undefined || target === undefined) return;
    void this.options.member.join([target.address]).then(([result]) => {
      if (result?.ok === true) this.options.logger.info({ node: name, address: formatPeerAddress(target.address) }, 'reconnected to a failed member');
    });
  }
}
