import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { MutationGuard, isLoopback } from '../../../src/api/mutation-guard.js';

function req(headers: Record<string, string>, remoteAddress = '127.0.0.1'): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers: lower, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const names = ['localhost', '127.0.0.1', '::1', 'node-1', '10.0.0.5', '192.168.168.168'];

describe('MutationGuard', () => {
  it('without a token: loopback peers pass, others are refused', () => {
    const guard = new MutationGuard({ token: undefined, hostNames: names, port: () => 7777, tls: false });
    assert.deepEqual(guard.check(req({ Host: '127.0.0.1:7777' })), { ok: true, authority: 'loopback' });
    assert.deepEqual(guard.check(req({ Host: 'localhost:7777' }, '::ffff:127.0.0.9')), { ok: true, authority: 'loopback' });
    assert.deepEqual(guard.check(req({ Host: '[::1]:7777' }, '::1')), { ok: true, authority: 'loopback' });
    const remote = guard.check(req({ Host: 'node-1:7777' }, '10.0.0.9'));
    assert.equal(remote.ok, false);
    assert.equal(!remote.ok && remote.status, 403);
    assert.equal(guard.check(req({ Host: '10.0.0.5:7777' }, '::ffff:10.0.0.9')).ok, false);
  });

  it('with a token: any peer with the right token passes; missing 401, wrong 403', () => {
    const guard = new MutationGuard({ token: 'abc', hostNames: names, port: () => 7777, tls: false });
    assert.deepEqual(guard.check(req({ Host: 'node-1', Authorization: 'Bearer abc' }, '10.0.0.9')), { ok: true, authority: 'token' });
    assert.deepEqual(guard.check(req({ Host: 'node-1', Authorization: 'bearer  abc ' }, '10.0.0.9')), { ok: true, authority: 'token' });
    assert.deepEqual(guard.check(req({ Host: 'node-1', 'X-Sidecar-Token': 'abc' }, '10.0.0.9')), { ok: true, authority: 'token' });
    const missing = guard.check(req({ Host: 'node-1' }, '127.0.0.1'));
    assert.equal(!missing.ok && missing.status, 401, 'loopback needs it too once one is set');
    assert.equal(!missing.ok && missing.status, 401);
    const basic = guard.check(req({ Host: 'node-1', Authorization: 'Basic YWJj' }));
    assert.equal(!basic.ok && basic.status, 401);
    for (const wrong of ['abcd', 'ab', 'ABC', '']) {
      const v = guard.check(req({ Host: 'node-1', 'X-Sidecar-Token': 'x', Authorization: `Bearer ${wrong}x` }));
      assert.equal(!v.ok && v.status, 403, wrong);
    }
  });

  it('Host must be one of ours, with or without a port; Origin must be this API', () => {
    const guard = new MutationGuard({ token: undefined, hostNames: names, port: () => 7777, tls: false });
    for (const host of ['evil.example', 'evil.example:7777', 'node-1.evil.example', '127.0.0.1:x', '[::2]:7777', '', 'node-1:7777:1']) {
      assert.equal(guard.check(req({ Host: host })).ok, false, host);
    }
    assert.equal(guard.check(req({})).ok, false, 'no Host');
    for (const host of ['NODE-1', 'node-1.', '192.168.168.168:7777', '[::1]']) assert.equal(guard.check(req({ Host: host })).ok, true, host);
    assert.equal(guard.check(req({ Host: 'node-1', Origin: 'http://node-1:7777' })).ok, true);
    for (const origin of ['http://node-1', 'https://node-1:7777', 'http://node-1:7778', 'http://evil.example:7777', 'null', 'garbage']) {
      assert.equal(guard.check(req({ Host: 'node-1', Origin: origin })).ok, false, origin);
    }
    assert.equal(guard.check(req({ Host: 'node-1', 'Sec-Fetch-Site': 'cross-site' })).ok, false);
    assert.equal(guard.check(req({ Host: 'node-1', 'Sec-Fetch-Site': 'same-origin' })).ok, true);
    const tls = new MutationGuard({ token: undefined, hostNames: names, port: () => 443, tls: true });
    assert.equal(tls.check(req({ Host: 'node-1', Origin: 'https://node-1' })).ok, true);
    assert.equal(tls.check(req({ Host: 'node-1', Origin: 'http://node-1:443' })).ok, false);
  });

  it('isLoopback', () => {
    for (const a of ['127.0.0.1', '127.255.0.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '::2', '1127.0.0.1', undefined]) assert.equal(isLoopback(a), false, String(a));
  });
});
