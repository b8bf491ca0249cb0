import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateDocuments } from '../../../src/api/state-documents.js';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

test('documents are encoded once per state version and shared', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService());
  const docs = new StateDocuments(state);
  const a = docs.stateJson();
  assert.equal(docs.stateJson(), a, 'same Buffer while the version is unchanged');
  const b = docs.byServiceJson();
  assert.equal(docs.byServiceJson(), b);
  const c = docs.servicesJson([{ name: 'chaucer' }]);
  assert.equal(docs.servicesJson([{ name: 'chaucer' }]), c);
  const d = docs.oneServiceJson('bocaccio');
  assert.equal(docs.oneServiceJson('bocaccio'), d);

  state.addServiceEntry(makeService({ updated: ts('2023-11-14T10:21:39Z') }));
  const a2 = docs.stateJson();
  assert.notEqual(a2, a);
  assert.match(a2.toString(), /"Updated":"2023-11-14T10:21:39Z"/);
  assert.notEqual(docs.byServiceJson(), b);
  assert.notEqual(docs.oneServiceJson('bocaccio'), d);
});

test('the services document follows the member list, which does not bump the state version', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService());
  const docs = new StateDocuments(state);
  const one = JSON.parse(docs.servicesJson([{ name: 'chaucer' }]).toString()) as { ClusterMembers: object };
  assert.deepEqual(Object.keys(one.ClusterMembers), ['chaucer']);
  const two = JSON.parse(docs.servicesJson([{ name: 'marlowe' }, { name: 'chaucer' }]).toString()) as {
    ClusterMembers: Record<string, unknown>;
  };
  assert.deepEqual(two.ClusterMembers, {
    chaucer: { Name: 'chaucer', LastUpdated: '2023-11-14T10:21:34.5Z', ServiceCount: 1 },
    marlowe: { Name: 'marlowe', LastUpdated: '1970-01-01T00:00:00Z', ServiceCount: 0 },
  });
  const none = JSON.parse(docs.servicesJson([]).toString()) as object;
  assert.deepEqual(Object.keys(none), ['Services', 'ClusterName']);
});

test('an empty state gives empty objects, and unknown names give undefined', () => {
  const { state } = makeState();
  const docs = new StateDocuments(state);
  assert.equal(docs.servicesJson([]).toString(), '{\n  "Services": {},\n  "ClusterName": "default"\n}');
  assert.equal(docs.byServiceJson().toString(), '{}');
  assert.equal(docs.stateJson().toString(), '{"Servers":{},"LastChanged":"1970-01-01T00:00:00Z","ClusterName":"default","Hostname":"chaucer"}');
  assert.equal(docs.oneServiceJson('bocaccio'), undefined);
});

test('tombstones count in ServiceCount and appear in the lists', () => {
  const { state } = makeState();
  state.addServiceEntry(makeService({ status: ServiceStatus.TOMBSTONE }));
  state.addServiceEntry(makeService({ id: 'other', updated: ts('2023-11-14T10:21:30Z') }));
  const doc = JSON.parse(new StateDocuments(state).servicesJson([{ name: 'chaucer' }]).toString()) as {
    Services: Record<string, Array<{ ID: string }>>;
    ClusterMembers: Record<string, { ServiceCount: number }>;
  };
  assert.deepEqual(doc.Services['bocaccio']?.map((s) => s.ID), ['other', 'deadbeef123']);
  assert.equal(doc.ClusterMembers['chaucer']?.ServiceCount, 2);
});
