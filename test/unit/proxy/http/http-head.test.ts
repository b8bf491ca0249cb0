import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from '../../../../src/proxy/http/index.js';

function req(head: string, ip = '10.1.2.3'): RequestHead {
  const r = parseRequestHead(head, ip);
  if ('reason' in r) assert.fail(`refused: ${r.reason}`);
  return r;
}

function res(head: string, method = 'GET'): ResponseHead {
  const r = parseResponseHead(head, method);
  if (typeof r === 'string') assert.fail(`refused: ${r}`);
  return r;
}

test('request: framing, keep-alive and forwarded head', () => {
  const r = req('POST /a?b=1 HTTP/1.1\r\nHost: api\r\nContent-Length: 12\r\nX-Other: keep me');
  assert.deepEqual([r.method, r.target, r.minor, r.keepAlive, r.body], ['POST', '/a?b=1', 1, true, { kind: 'length', length: 12 }]);
  assert.equal(r.forward, 'POST /a?b=1 HTTP/1.1\r\nHost: api\r\nContent-Length: 12\r\nX-Other: keep me\r\nX-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: api\r\n\r\n');
  assert.deepEqual(req('GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked').body, { kind: 'chunked' });
  assert.deepEqual(req('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0').body, { kind: 'none' });
  assert.deepEqual(req('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5').body, { kind: 'length', length: 5 });
  assert.equal(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: close').keepAlive, false);
  assert.equal(req('GET / HTTP/1.0').keepAlive, false);
  const ka10 = req('GET / HTTP/1.0\r\nConnection: keep-alive');
  assert.equal(ka10.keepAlive, true);
  assert.match(ka10.forward, /\r\nConnection: keep-alive\r\n\r\n$/);
});

test('request: hop-by-hop and Connection-named headers are stripped, framing headers never', () => {
  const r = req('GET / HTTP/1.1\r\nHost: a\r\nConnection: x-a, content-length, host\r\nX-A: 1\r\nKeep-Alive: 1\r\nTE: trailers\r\nProxy-Connection: close\r\nUpgrade: h2c\r\nContent-Length: 3\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2');
  assert.equal(r.forward, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 10.1.2.3\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n');
  assert.equal(r.upgrade, false, 'Upgrade without Connection: upgrade is not an upgrade');
  assert.equal(r.keepAlive, false, 'Proxy-Connection: close counts');
});

test('request: upgrades and Expect', () => {
  const r = req('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k');
  assert.equal(r.upgrade, true);
  assert.match(r.forward, /Sec-WebSocket-Key: k\r\n.*Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n$/s);
  assert.equal(req('PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1').expectContinue, true);
});

test('request: malformed and smuggling heads are refused with the right status', () => {
  const cases: [string, number][] = [
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip', 400],
    ['GET / HTTP/1.0\r\nTransfer-Encoding: chunked', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999', 400],
    ['GET / HTTP/1.1\r\nHost : a', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\n folded', 400],
    ['GET / HTTP/1.1\r\nHost: a\rX: b', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nX: \x00', 400],
    ['GET  / HTTP/1.1\r\nHost: a', 400],
    ['GET / HTTP/1.1 \r\nHost: a', 400],
    ['G(T / HTTP/1.1\r\nHost: a', 400],
    ['GET / HTTP/1.1', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: a', 400],
    ['GET / HTTP/3.0\r\nHost: a', 505],
    ['GET / HTTX/1.1\r\nHost: a', 400],
  ];
  for (const [head, status] of cases) {
    const r = parseRequestHead(head, '1.2.3.4');
    assert.ok('reason' in r, `accepted: ${JSON.stringify(head)}`);
    assert.equal(r.status, status, JSON.stringify(head));
  }
});

test('response: framing by method and status, hop-by-hop stripped', () => {
  assert.deepEqual(res('HTTP/1.1 200 OK\r\nContent-Length: 5').body, { kind: 'length', length: 5 });
  assert.deepEqual(res('HTTP/1.1 200 OK\r\nContent-Length: 5', 'HEAD').body, { kind: 'none' });
  assert.deepEqual(res('HTTP/1.1 204 No Content').body, { kind: 'none' });
  assert.deepEqual(res('HTTP/1.1 304 Not Modified\r\nContent-Length: 9').body, { kind: 'none' });
  assert.deepEqual(res('HTTP/1.1 100 Continue').body, { kind: 'none' });
  assert.deepEqual(res('HTTP/1.1 200 OK').body, { kind: 'close' });
  assert.equal(res('HTTP/1.1 200 OK').keepAlive, false);
  const chunked = res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-End: 2');
  assert.deepEqual(chunked.body, { kind: 'chunked' });
  assert.equal(chunked.keepAlive, true);
  assert.equal(chunked.headers, 'Transfer-Encoding: chunked\r\nX-End: 2\r\n');
  assert.equal(res('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close').keepAlive, false);
  assert.equal(res('HTTP/1.0 200 OK\r\nContent-Length: 1').keepAlive, false);
  assert.equal(res('HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive').keepAlive, true);
  const up = res('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket');
  assert.equal(up.headers, 'Upgrade: websocket\r\n');
  for (const bad of ['HTTP/1.1 2000 OK', 'HTTP/2 200 OK', 'HTTP/1.1 abc OK', 'HTTP/1.1 200 OK\r\nContent-Length: x', 'HTTP/1.1 099 X']) {
    assert.equal(typeof parseResponseHead(bad, 'GET'), 'string', bad);
  }
});

test('response: a head that loses nothing but Connection: keep-alive may be forwarded as received', () => {
  const nginx = res('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\nConnection: keep-alive\r\nETag: "x"');
  assert.deepEqual([nginx.verbatim, nginx.saysKeepAlive, nginx.keepAlive], [true, true, true]);
  assert.equal(nginx.headers, 'Server: nginx\r\nContent-Length: 2\r\nETag: "x"\r\n');
  const plain = res('HTTP/1.1 200 OK\r\nContent-Length: 2');
  assert.deepEqual([plain.verbatim, plain.saysKeepAlive], [true, false]);
  for (const head of [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection:',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-A\r\nX-A: 1',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2',
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket',
  ]) {
    assert.equal(res(head).verbatim, false, head);
  }
});

test('heads: names in any case, tabs and obs-text in values; DEL, bare LF and empty lines refused', () => {
  const r = req('GET / HTTP/1.1\r\nHOST: a\r\nCONTENT-LENGTH:\t7 \r\nX-Latin: caf\xe9\r\nX-Tab: a\tb');
  assert.deepEqual(r.body, { kind: 'length', length: 7 });
  assert.match(r.forward, /X-Latin: caf\xe9\r\nX-Tab: a\tb\r\n/);
  assert.equal(res('HTTP/1.1 200 OK\r\nconnection: CLOSE\r\ncontent-length: 1').keepAlive, false);
  for (const head of ['GET / HTTP/1.1\r\nHost: a\r\nX: \x7f', 'GET / HTTP/1.1\r\nHost: a\nX: b', 'GET / HTTP/1.1\r\nHost: a\r\n\r\nX: b', 'GET /\x01 HTTP/1.1\r\nHost: a']) {
    const refused = parseRequestHead(head, '1.2.3.4');
    assert.ok('reason' in refused && refused.status === 400, JSON.stringify(head));
  }
});

test('property: a verbatim response head is the received head less its Connection: keep-alive lines', () => {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
  const names = ['Content-Length', 'Transfer-Encoding', 'Connection', 'connection', 'Keep-Alive', 'Upgrade', 'Server', 'ETag', 'X-A'];
  const values = ['5', '0', 'chunked', 'close', 'keep-alive', 'Keep-Alive', 'x-a', 'upgrade', 'nginx', '"e"', ''];
  let verbatim = 0;
  for (let i = 0; i < 20_000; i++) {
    let head = pick(['HTTP/1.1 200 OK', 'HTTP/1.0 200 OK', 'HTTP/1.1 204 No Content', 'HTTP/1.1 101 Switching Protocols']);
    for (let n = Math.floor(rnd() * 5); n > 0; n--) head += `\r\n${pick(names)}: ${pick(values)}`;
    const r = parseResponseHead(head, 'GET');
    if (typeof r === 'string' || !r.verbatim) continue;
    verbatim++;
    const lines = head.split('\r\n');
    const withoutConnection = [lines[0], ...lines.slice(1).filter((l) => !/^connection:/i.test(l))].join('\r\n');
    assert.equal(`${r.statusLine}\r\n${r.headers}`.replace(/\r\n$/, ''), withoutConnection, head);
    assert.equal(r.saysKeepAlive, lines.slice(1).some((l) => /^connection:/i.test(l)), head);
  }
  assert.ok(verbatim > 1000, `${verbatim} verbatim heads generated`);
});
