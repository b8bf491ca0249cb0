import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../src/core/index.js';
import { ServiceStatus, ServicesState, type Service } from '../../../src/catalog/index.js';
import { BroadcastScheduler, UNDRAIN_HOLD_MS } from '../../../src/replication/index.js';
import { makeService, makeState } from '../../helpers/catalog.js';
import { localServicesOn } from '../../helpers/local-services.js';

/** Discovered services and what their health says; every change is reported as discovery and health report theirs. */
class HealthMap extends Map<string, number> {
  onChange: (() => void) | undefined;
  override set(id: string, status: number): this {
    super.set(id, status);
    this.onChange?.();
    return this;
  }
  override delete(id: string): boolean {
    const had = super.delete(id);
    this.onChange?.();
    return had;
  }
}

/** A host `chaucer` with two discovered services whose health says `health`, run by the real owner of the local services on a fake clock. */
function setup() {
  const fx = makeState();
  const scheduler = new BroadcastScheduler(fx.clock);
  const sent: Service[][] = [];
  scheduler.onDidBroadcast((batch) => sent.push([...batch]));
  const health = new HealthMap([
    ['one', ServiceStatus.ALIVE],
    ['two', ServiceStatus.ALIVE],
  ]);
  const discovered = (): Service[] => [...health].map(([id, status]) => makeService({ id, name: `svc-${id}`, status }));
  const { local: control, changed } = localServicesOn(fx, scheduler, discovered);
  health.onChange = changed;
  const sync = control;
  control.start();
  const status = (id: string): number | undefined => fx.state.getLocalServiceById(id)?.status;
  /** What a peer that applies every broadcast with the merge rules ends up holding. */
  const peer = new ServicesState({ hostname: 'peer', clusterName: 'default', clock: fx.clock, stamps: fx.stamps, logger: silentLogger() });
  scheduler.onDidBroadcast((batch) => batch.forEach((svc) => peer.addServiceEntry(svc)));
  return { ...fx, control, sync, sent, health, status, peer, scheduler, fixtureLocal: (id: string) => fx.state.getLocalServiceById(id) };
}

describe('DrainControl', () => {
  it('drain stays DRAINING while health passes; undrain goes UNKNOWN for the hold, then ALIVE', () => {
    const t = setup();
    assert.equal(t.control.drain('one')?.status, ServiceStatus.DRAINING);
    t.clock.advance(10_000);
    assert.equal(t.status('one'), ServiceStatus.DRAINING, 'sticky while health passes');
    assert.equal(t.peer.getService('chaucer', 'one')?.status, ServiceStatus.DRAINING, 'the peer saw the drain');

    const outcome = t.control.undrain('one');
    assert.equal(outcome.kind, 'undrained');
    assert.equal(t.status('one'), ServiceStatus.UNKNOWN);
    t.clock.advance(UNDRAIN_HOLD_MS - 100);
    assert.equal(t.status('one'), ServiceStatus.UNKNOWN, 'held at UNKNOWN although health passes');
    assert.equal(t.peer.getService('chaucer', 'one')?.status, ServiceStatus.UNKNOWN, 'the UNKNOWN reached the peer within the hold');
    t.clock.advance(1100);
    assert.equal(t.status('one'), ServiceStatus.ALIVE, 'health decides after the hold');
    t.clock.advance(6000);
    assert.equal(t.peer.getService('chaucer', 'one')?.status, ServiceStatus.ALIVE, 'and the peer, which kept no sticky DRAINING, follows');
    assert.equal(t.status('two'), ServiceStatus.ALIVE, 'the other service was never touched');
  });

  it('an ALIVE sent straight after the drain would have stuck at DRAINING on the peer (why the hold exists)', () => {
    const t = setup();
    t.control.drain('one');
    t.clock.advance(10_000);
    const stored = t.peer.getService('chaucer', 'one');
    assert.ok(stored !== undefined);
    t.peer.addServiceEntry({ ...stored, status: ServiceStatus.ALIVE, updated: t.stamps.now() });
    assert.equal(t.peer.getService('chaucer', 'one')?.status, ServiceStatus.DRAINING);
  });

  it('undrain answers notFound, notDraining, and maintenance as it should', () => {
    const t = setup();
    assert.equal(t.control.undrain('nothere').kind, 'notFound');
    assert.equal(t.control.undrain('one').kind, 'notDraining');
    t.control.setMaintenance(true);
    assert.equal(t.control.undrain('one').kind, 'maintenance');
    assert.equal(t.status('one'), ServiceStatus.DRAINING);
  });

  it('maintenance drains every local service, and ones discovered later; off brings back only those it drained', () => {
    const t = setup();
    t.control.drain('two');
    assert.equal(t.control.setMaintenance(true), 1, 'one changed (two was already drained)');
    assert.equal(t.control.inMaintenance, true);
    assert.equal(t.control.setMaintenance(true), 0, 'idempotent');
    assert.equal(t.status('one'), ServiceStatus.DRAINING);
    t.health.set('three', ServiceStatus.ALIVE);
    t.clock.advance(1000);
    assert.equal(t.status('three'), ServiceStatus.DRAINING, 'discovered during maintenance: DRAINING from the start');
    t.clock.advance(10_000);
    assert.equal(t.peer.getService('chaucer', 'three')?.status, ServiceStatus.DRAINING);

    assert.equal(t.control.setMaintenance(false), 2, 'one and three');
    assert.equal(t.status('one'), ServiceStatus.UNKNOWN);
    assert.equal(t.status('three'), ServiceStatus.UNKNOWN);
    assert.equal(t.status('two'), ServiceStatus.DRAINING, 'drained on its own: stays drained');
    t.clock.advance(UNDRAIN_HOLD_MS + 1000);
    assert.equal(t.status('one'), ServiceStatus.ALIVE);
    assert.equal(t.status('three'), ServiceStatus.ALIVE);
    t.clock.advance(6000);
    assert.equal(t.peer.getService('chaucer', 'one')?.status, ServiceStatus.ALIVE);
    assert.equal(t.peer.getService('chaucer', 'two')?.status, ServiceStatus.DRAINING);
  });

  it('an unhealthy service undrained stays unhealthy; a vanished one is forgotten', () => {
    const t = setup();
    t.control.drain('one');
    t.health.set('one', ServiceStatus.UNHEALTHY);
    t.clock.advance(1000);
    assert.equal(t.status('one'), ServiceStatus.UNHEALTHY, 'UNHEALTHY replaces DRAINING (the merge rule)');
    assert.equal(t.control.undrain('one').kind, 'notDraining');
    t.health.delete('two');
    t.control.drain('two');
    t.clock.advance(3000);
    assert.equal(t.status('two'), ServiceStatus.TOMBSTONE);
    assert.equal(t.control.drain('two'), undefined, 'a tombstone cannot be drained');
  });

  it('a peer that missed the UNKNOWN and kept DRAINING gets the undrain again when it shows us its copy', () => {
    const t = setup();
    t.control.drain('one');
    t.clock.advance(5_000);
    // A second peer that saw the drain but none of the undrain's UNKNOWNs.
    const drained = t.peer.getService('chaucer', 'one');
    assert.ok(drained !== undefined);
    t.control.undrain('one');
    t.clock.advance(UNDRAIN_HOLD_MS + 6_000);
    const ours = t.fixtureLocal('one');
    assert.equal(ours?.status, ServiceStatus.ALIVE);
    const late = new ServicesState({ hostname: 'late', clusterName: 'default', clock: t.clock, stamps: t.stamps, logger: silentLogger() });
    late.addServiceEntry(drained);
    late.addServiceEntry(ours);
    const theirs = late.getService('chaucer', 'one');
    assert.equal(theirs?.status, ServiceStatus.DRAINING, 'the ALIVE alone cannot undo the drain there');
    assert.ok(theirs !== undefined && ours !== undefined);

    t.control.peerKeptDrain(ours, theirs);
    assert.equal(t.status('one'), ServiceStatus.UNKNOWN, 'announced UNKNOWN again, held');
    t.scheduler.onDidBroadcast((batch) => batch.forEach((svc) => late.addServiceEntry(svc)));
    t.clock.advance(UNDRAIN_HOLD_MS + 6_000);
    assert.equal(late.getService('chaucer', 'one')?.status, ServiceStatus.ALIVE, 'the late peer is ALIVE now');
    assert.equal(t.status('one'), ServiceStatus.ALIVE);
  });

  it('a peer holding DRAINING is left alone while an operator drain or maintenance holds it', () => {
    const t = setup();
    const drained = t.control.drain('one');
    assert.ok(drained !== undefined);
    const alive = { ...drained, status: ServiceStatus.ALIVE };
    t.control.peerKeptDrain(alive, drained);
    assert.equal(t.status('one'), ServiceStatus.DRAINING, 'operator drain: nothing to undo');
    t.control.setMaintenance(true);
    t.control.peerKeptDrain(t.fixtureLocal('two') ?? alive, drained);
    assert.equal(t.status('two'), ServiceStatus.DRAINING, 'maintenance: nothing to undo');
  });
});
