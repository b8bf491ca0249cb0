/** N Memberlist nodes on one MemoryNetwork and a FakeClock, for fast cluster tests. */
import { FakeClock, silentLogger } from '../../src/core/index.js';
import {
  Memberlist,
  seededRandom,
  type Keyring,
  type MembershipDelegate,
  type MembershipOptions,
  goSidecarDialect,
  MemoryNetwork,
} from '../../src/membership/index.js';
import { type WireDialect } from '../../src/membership/wire/messages.js';

/** A delegate that records what it is given and, like Sidecar's, relays what it had not seen. */
export class RecordingDelegate implements MembershipDelegate {
  readonly messages: string[] = [];
  relay: ((payload: Uint8Array) => void) | null = null;
  readonly states: string[] = [];
  constructor(
    private readonly meta = '{}',
    public state = '',
  ) {}
  nodeMeta(): Uint8Array {
    return new TextEncoder().encode(this.meta);
  }
  notifyMessage(payload: Uint8Array): void {
    const text = new TextDecoder().decode(payload);
    if (this.messages.includes(text)) return;
    this.messages.push(text);
    this.relay?.(payload);
  }
  localState(): Uint8Array {
    return new TextEncoder().encode(this.state);
  }
  mergeRemoteState(state: Uint8Array): void {
    this.states.push(new TextDecoder().decode(state));
  }
}

export interface ClusterNode {
  readonly name: string;
  readonly host: string;
  readonly list: Memberlist;
  readonly delegate: RecordingDelegate;
}

export interface NodeSettings {
  readonly dialect?: WireDialect;
  readonly keyring?: Keyring | null;
  readonly membership?: MembershipOptions;
}

export class MemoryCluster {
  readonly clock = new FakeClock();
  readonly random = seededRandom(42);
  readonly network: MemoryNetwork;
  readonly nodes: ClusterNode[] = [];

  constructor(options: { lossRate?: number; latencyMs?: number } = {}) {
    this.network = new MemoryNetwork({ clock: this.clock, rng: this.random, lossRate: options.lossRate ?? 0, latencyMs: options.latencyMs ?? 1 });
  }

  async add(name: string, settings: NodeSettings = {}): Promise<ClusterNode> {
    const host = `10.0.0.${this.nodes.length + 1}`;
    const delegate = new RecordingDelegate();
    const list = new Memberlist({
      name,
      transport: this.network.createTransport({ host, port: 7946 }),
      delegate,
      wire: { dialect: settings.dialect ?? goSidecarDialect('default'), keyring: settings.keyring ?? null },
      ...(settings.membership ? { membership: settings.membership } : {}),
      logger: silentLogger(),
      clock: this.clock,
      random: this.random,
    });
    delegate.relay = (payload) => list.broadcast(payload);
    await list.start();
    const node = { name, host, list, delegate };
    this.nodes.push(node);
    return node;
  }

  /** Advances the fake clock, letting stream promises settle between steps. */
  async run(ms: number): Promise<void> {
    await this.clock.advanceAsync(ms, 20);
  }

  async join(node: ClusterNode, seed: ClusterNode): Promise<boolean> {
    const pending = node.list.join([{ host: seed.host, port: 7946 }]);
    await this.run(100);
    const results = await pending;
    return results.every((r) => r.ok);
  }

  liveNames(node: ClusterNode): string[] {
    return node.list.liveMembers().map((m) => m.name).sort();
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.list.close()));
  }
}
