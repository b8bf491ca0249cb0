import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceStatus, type ChangeEvent } from '../../../src/catalog/index.js';
import { retryDelayMs } from '../../../src/listeners/index.js';
import { encodeStateChangedEvent } from '../../../src/catalog/index.js';
import { makeService, makeState, ts } from '../../helpers/catalog.js';

test('the StateChangedEvent body: Go key order, compact, int statuses, RFC3339Nano', () => {
  const { state } = makeState();
  const svc = makeService({ ports: [] });
  const events: ChangeEvent[] = [];
  state.onDidChangeService((e) => events.push(e));
  state.addServiceEntry(svc);
  const [event] = events;
  assert.ok(event !== undefined);
  const service =
    '{"ID":"deadbeef123","Name":"bocaccio","Image":"101deadbeef","Created":"2023-11-14T10:21:33.123456789Z",' +
    '"Hostname":"chaucer","Ports":[],"Updated":"2023-11-14T10:21:34.5Z","ProxyMode":"http","Status":0}';
  assert.equal(
    encodeStateChangedEvent(state, event),
    '{"State":{"Servers":{"chaucer":{"Name":"chaucer","Services":{"deadbeef123":' +
      service +
      '},"LastUpdated":"2023-11-14T10:21:34.5Z","LastChanged":"2023-11-14T10:21:34.5Z"}},' +
      '"LastChanged":"2023-11-14T10:21:34.5Z","ClusterName":"default","Hostname":"chaucer"},' +
      `"ChangeEvent":{"Service":${service},"PreviousStatus":3,"Time":"2023-11-14T10:21:34.5Z"}}`,
  );
});

test('the event part follows the event, not the state', () => {
  const { state } = makeState();
  const event: ChangeEvent = {
    service: makeService({ ports: null, status: ServiceStatus.TOMBSTONE }),
    previousStatus: ServiceStatus.DRAINING,
    time: ts('2023-11-14T10:21:35.000000001Z'),
  };
  const body = JSON.parse(encodeStateChangedEvent(state, event)) as { State: { Servers: object }; ChangeEvent: Record<string, unknown> };
  assert.deepEqual(body.State.Servers, {});
  assert.equal(body.ChangeEvent['PreviousStatus'], 4);
  assert.equal(body.ChangeEvent['Time'], '2023-11-14T10:21:35.000000001Z');
  assert.equal((body.ChangeEvent['Service'] as Record<string, unknown>)['Ports'], null);
});

test('retry pauses follow Go withRetries: 0, 0, 100, 200, 300, 400 ms', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(retryDelayMs), [0, 0, 100, 200, 300, 400]);
});
