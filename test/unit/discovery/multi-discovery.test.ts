import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../../src/core/index.js';
import type { Service } from '../../../src/catalog/index.js';
import { MultiDiscovery, type DiscoverySource, type ListenerSpec } from '../../../src/discovery/index.js';
import type { CheckSpec } from '../../../src/catalog/index.js';
import { makeService } from '../../helpers/catalog.js';

class FakeSource implements DiscoverySource {
  readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;
  readonly calls: string[];
  failStart = false;

  constructor(
    readonly name: string,
    private readonly svcs: Service[],
    private readonly checks: Record<string, CheckSpec | null>,
    private readonly lsts: ListenerSpec[],
    log: string[],
  ) {
    this.calls = log;
  }

  async start(): Promise<void> {
    this.calls.push(`start ${this.name}`);
    await Promise.resolve();
    if (this.failStart) throw new Error(`${this.name} cannot start`);
  }

  services(): readonly Service[] {
    return this.svcs;
  }

  healthCheck(svc: Service): CheckSpec | null {
    return this.checks[svc.id] ?? null;
  }

  listeners(): readonly ListenerSpec[] {
    return this.lsts;
  }

  async close(): Promise<void> {
    this.calls.push(`close ${this.name}`);
    await Promise.resolve();
  }
}

function fixture(): { log: string[]; a: FakeSource; b: FakeSource; c: FakeSource; multi: MultiDiscovery } {
  const log: string[] = [];
  const s1 = makeService({ id: 'aaaaaaaaaaaa', name: 'one' });
  const s2 = makeService({ id: 'bbbbbbbbbbbb', name: 'two' });
  const s3 = makeService({ id: 'cccccccccccc', name: 'three' });
  const a = new FakeSource('static', [s1], { [s2.id]: { type: '', args: 'empty type does not count' } }, [{ name: 'A', url: 'http://a/' }], log);
  const b = new FakeSource('docker', [s2, s3], { [s2.id]: { type: 'HttpGet', args: 'from b' }, [s3.id]: { type: 'External', args: 'b' } }, [], log);
  const c = new FakeSource('other', [], { [s2.id]: { type: 'AlwaysSuccessful', args: '' }, [s3.id]: null, [s1.id]: { type: 'External', args: 'c' } }, [{ name: 'C', url: 'http://c/' }], log);
  return { log, a, b, c, multi: new MultiDiscovery([a, b, c]) };
}

test('services and listeners are concatenated in the configured order', () => {
  const { multi } = fixture();
  assert.deepEqual(multi.services().map((s) => s.name), ['one', 'two', 'three']);
  assert.deepEqual(multi.listeners().map((l) => l.name), ['A', 'C']);
  assert.equal(multi.name, 'static,docker,other');
  assert.deepEqual(new MultiDiscovery([]).services(), []);
});

test('the health check comes from the first source with a non-empty type', () => {
  const { multi } = fixture();
  const check = (id: string): CheckSpec | null => multi.healthCheck(makeService({ id }));
  assert.deepEqual(check('bbbbbbbbbbbb'), { type: 'HttpGet', args: 'from b' }, 'an empty type in an earlier source is skipped');
  assert.deepEqual(check('cccccccccccc'), { type: 'External', args: 'b' });
  assert.deepEqual(check('aaaaaaaaaaaa'), { type: 'External', args: 'c' }, 'any source may answer, not only the one that found it');
  assert.equal(check('nobody'), null);
});

test('onDidChange fires for any source and unsubscribes from all', () => {
  const { multi, a, c } = fixture();
  let count = 0;
  const sub = multi.onDidChange(() => count++);
  a.changed.fire();
  c.changed.fire();
  assert.equal(count, 2);
  sub.dispose();
  a.changed.fire();
  assert.equal(count, 2);
  assert.equal(a.changed.hasListeners, false);
});

test('start runs the sources in order; close closes them all, once', async () => {
  const { multi, log } = fixture();
  await multi.start();
  assert.deepEqual(log, ['start static', 'start docker', 'start other']);
  log.length = 0;
  await Promise.all([multi.close(), multi.close()]);
  assert.deepEqual(log.sort(), ['close docker', 'close other', 'close static']);
});

test('a source that fails to start closes the ones started before it and the error passes on', async () => {
  const { multi, log, b } = fixture();
  b.failStart = true;
  await assert.rejects(multi.start(), /docker cannot start/);
  assert.deepEqual(log, ['start static', 'start docker', 'close static', 'close docker']);
});

test('statusOf: the first source that knows a status for the ID gives it; sources without statusOf are skipped', () => {
  const log: string[] = [];
  const plain = new FakeSource('static', [], {}, [], log);
  const kube = Object.assign(new FakeSource('kubernetes_api', [], {}, [], log), {
    statusOf: (id: string) => (id === 'pod-1' ? 2 : undefined),
  });
  const multi = new MultiDiscovery([plain, kube]);
  assert.equal(multi.statusOf('pod-1'), 2);
  assert.equal(multi.statusOf('other'), undefined);
  assert.equal(new MultiDiscovery([plain]).statusOf('pod-1'), undefined);
});
