import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localMemberDetail, membersJson, type ApiMemberDetail } from '../../../src/api/members-document.js';

const T = Date.UTC(2023, 10, 14, 10, 21, 33, 500);

test('members.json is a pretty object keyed by sorted member name', () => {
  const members: ApiMemberDetail[] = [
    { name: 'shakespeare', address: '10.0.0.2:7946', state: 'dead', incarnation: 7, stateChangeMs: T, meta: null },
    {
      name: 'chaucer',
      address: '[2001:db8::1]:7946',
      state: 'alive',
      incarnation: 1,
      stateChangeMs: T,
      meta: { clusterName: 'default', state: 'Running' },
    },
  ];
  assert.equal(
    membersJson(members),
    [
      '{',
      '  "chaucer": {',
      '    "Name": "chaucer",',
      '    "Address": "[2001:db8::1]:7946",',
      '    "State": "alive",',
      '    "Incarnation": 1,',
      '    "LastStateChange": "2023-11-14T10:21:33.5Z",',
      '    "Meta": {',
      '      "ClusterName": "default",',
      '      "State": "Running"',
      '    }',
      '  },',
      '  "shakespeare": {',
      '    "Name": "shakespeare",',
      '    "Address": "10.0.0.2:7946",',
      '    "State": "dead",',
      '    "Incarnation": 7,',
      '    "LastStateChange": "2023-11-14T10:21:33.5Z",',
      '    "Meta": null',
      '  }',
      '}',
    ].join('\n'),
  );
});

test('no members is an empty object; the local-only entry is alive with our metadata', () => {
  assert.equal(membersJson([]), '{}');
  assert.deepEqual(localMemberDetail('chaucer', 'eu', T), {
    name: 'chaucer',
    address: '',
    state: 'alive',
    incarnation: 0,
    stateChangeMs: T,
    meta: { clusterName: 'eu', state: 'Running' },
  });
});
