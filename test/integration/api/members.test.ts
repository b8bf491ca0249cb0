import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiMemberDetail } from '../../../src/api/index.js';
import { fetchRaw, startApi } from './fixture.js';

const CHANGE_MS = Date.UTC(2023, 10, 14, 10, 21, 33);

const RUNNING = { clusterName: 'default', state: 'Running' } as const;

const DETAILS: readonly ApiMemberDetail[] = [
  { name: 'shakespeare', address: '10.0.0.2:7946', state: 'suspect', incarnation: 4, stateChangeMs: CHANGE_MS, meta: RUNNING },
  { name: 'chaucer', address: '10.0.0.1:7946', state: 'alive', incarnation: 1, stateChangeMs: CHANGE_MS, meta: RUNNING },
  { name: 'serf', address: '10.0.0.9:7946', state: 'left', incarnation: 2, stateChangeMs: CHANGE_MS, meta: null },
];

test('GET /api/members.json lists every member keyed by name, pretty, with CORS', async () => {
  let details = DETAILS;
  const fx = await startApi({ extra: { memberDetails: () => details } });
  try {
    const reply = await fetchRaw(fx.port, 'GET', '/api/members.json');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.equal(reply.headers['access-control-allow-methods'], 'GET');
    assert.match(reply.body, /^\{\n {2}"chaucer": \{\n {4}"Name": "chaucer",/);
    const doc = JSON.parse(reply.body) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(doc), ['chaucer', 'serf', 'shakespeare']);
    assert.deepEqual(doc['shakespeare'], {
      Name: 'shakespeare',
      Address: '10.0.0.2:7946',
      State: 'suspect',
      Incarnation: 4,
      LastStateChange: '2023-11-14T10:21:33Z',
      Meta: { ClusterName: 'default', State: 'Running' },
    });
    assert.equal(doc['serf']?.['Meta'], null);

    details = [];
    const empty = await fetchRaw(fx.port, 'GET', '/api/members.json');
    assert.equal(empty.body, '{}', 'read on every request');
  } finally {
    await fx.close();
  }
});

test('without memberDetails, /api/members.json lists the local node alone', async () => {
  const fx = await startApi();
  try {
    const reply = await fetchRaw(fx.port, 'GET', '/api/members.json');
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), {
      chaucer: {
        Name: 'chaucer',
        Address: '',
        State: 'alive',
        Incarnation: 0,
        LastStateChange: '2023-11-14T10:21:40Z',
        Meta: { ClusterName: 'default', State: 'Running' },
      },
    });
  } finally {
    await fx.close();
  }
});

test('/api/members with another extension is the JSON 404, other methods 405, OPTIONS the CORS answer', async () => {
  const fx = await startApi({ extra: { memberDetails: () => DETAILS } });
  try {
    const bad = await fetchRaw(fx.port, 'GET', '/api/members.xml');
    assert.equal(bad.status, 404);
    assert.equal(bad.body, '{"message":"Not Found - Invalid content type extension","status":"error"}');
    assert.equal(bad.headers['access-control-allow-origin'], '*');
    const post = await fetchRaw(fx.port, 'POST', '/api/members.json');
    assert.equal(post.status, 405);
    const options = await fetchRaw(fx.port, 'OPTIONS', '/api/members.json');
    assert.equal(options.status, 200);
    assert.equal(options.headers['access-control-allow-origin'], '*');
    const noAlias = await fetchRaw(fx.port, 'GET', '/members.json');
    assert.equal(noAlias.status, 404, 'no deprecated top-level alias for a new route');
  } finally {
    await fx.close();
  }
});
