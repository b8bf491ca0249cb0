import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/index.js';
import { CookieJar, cookieValue } from '../../../src/listeners/cookie-jar.js';

test('cookie values are sanitised and quoted like Go (space or comma → quoted)', () => {
  assert.equal(cookieValue('node-1-2026-01-01 00:00:00 +0000 UTC'), '"node-1-2026-01-01 00:00:00 +0000 UTC"');
  assert.equal(cookieValue('a,b'), '"a,b"');
  assert.equal(cookieValue('plain'), 'plain');
  assert.equal(cookieValue('a"b;c\\d\u00e9'), 'abcd');
});

test('the jar sends its cookies and keeps what the endpoint sets for this URL', () => {
  const clock = new FakeClock();
  const jar = new CookieJar(new URL('http://lb.example.com:8080/sidecar/update'), clock);
  assert.equal(jar.header(), null);
  jar.set('sidecar-session-host', 'h-1 2', clock.nowMs() + 10_000);
  jar.storeFromResponse([
    'SERVERID=s1; Path=/; HttpOnly',
    'short=1; Max-Age=5',
    'quoted="v"; path=/sidecar',
    'other-path=x; Path=/elsewhere',
    'prefix-only=x; Path=/side',
    'secure=x; Secure',
    'foreign=x; Domain=other.com',
    'parent=x; Domain=.example.com',
    'bad name=x',
  ]);
  assert.equal(jar.header(), 'sidecar-session-host="h-1 2"; SERVERID=s1; short=1; quoted=v; parent=x');
  clock.advance(5000);
  assert.equal(jar.header(), 'sidecar-session-host="h-1 2"; SERVERID=s1; quoted=v; parent=x');
  jar.storeFromResponse(['SERVERID=s2', 'quoted=gone; Max-Age=0', 'parent=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
  clock.advance(5000);
  assert.equal(jar.header(), 'SERVERID=s2');
});
