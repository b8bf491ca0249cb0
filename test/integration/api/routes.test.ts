import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ServiceStatus } from '../../../src/catalog/index.js';
import { fetchRaw, sendRawBytes, startApi, type ApiFixture, type Reply } from './fixture.js';

const golden = (name: string): string => readFileSync(new URL(`../../fixtures/api/${name}`, import.meta.url), 'utf8');

const JSON_ERROR_INVALID_EXT = '{"message":"Not Found - Invalid content type extension","status":"error"}';

function assertCors(reply: Reply, present: boolean): void {
  if (present) {
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.equal(reply.headers['access-control-allow-methods'], 'GET');
  } else {
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
    assert.equal(reply.headers['access-control-allow-methods'], undefined);
  }
}

function assertGoNotFound(reply: Reply): void {
  assert.equal(reply.status, 404);
  assert.equal(reply.body, '404 page not found\n');
  assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
}

function assert405(reply: Reply): void {
  assert.equal(reply.status, 405);
  assert.equal(reply.body, '');
  assert.equal(reply.headers['content-type'], undefined);
}

describe('API routes against the golden state', () => {
  let fx: ApiFixture;
  before(async () => {
    fx = await startApi();
  });
  after(async () => {
    await fx.close();
  });

  test('GET /api/services.json and the deprecated /services.json are the golden document with CORS', async () => {
    for (const path of ['/api/services.json', '/services.json']) {
      const reply = await fetchRaw(fx.port, 'GET', path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers['content-type'], 'application/json');
      assertCors(reply, true);
      assert.equal(reply.body, golden('services.json'), path);
    }
  });

  test('/api/services.json omits ClusterMembers when there are no members', async () => {
    const saved = fx.members;
    fx.members = [];
    try {
      const reply = await fetchRaw(fx.port, 'GET', '/api/services.json');
      const expected = JSON.parse(golden('services.json')) as Record<string, unknown>;
      delete expected['ClusterMembers'];
      assert.deepEqual(Object.keys(JSON.parse(reply.body) as object), ['Services', 'ClusterName']);
      assert.deepEqual(JSON.parse(reply.body), expected);
    } finally {
      fx.members = saved;
    }
  });

  test('a services extension other than json is a JSON 404 with CORS', async () => {
    for (const path of ['/api/services.xml', '/services.yaml', '/api/services.json.gz']) {
      const reply = await fetchRaw(fx.port, 'GET', path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body, JSON_ERROR_INVALID_EXT);
      assert.equal(reply.headers['content-type'], 'application/json');
      assertCors(reply, true);
    }
  });

  test('GET /api/services/<name>.json returns only that name, without ClusterMembers', async () => {
    const reply = await fetchRaw(fx.port, 'GET', '/api/services/bocaccio.json');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/json');
    assertCors(reply, true);
    assert.equal(reply.body, golden('service-bocaccio.json'));
  });

  test('{name}.{extension} splits at the last dot', async () => {
    const ok = await fetchRaw(fx.port, 'GET', '/api/services/a.b.json');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, golden('service-a.b.json'));
    const badExt = await fetchRaw(fx.port, 'GET', '/api/services/bocaccio.json.xml');
    assert.equal(badExt.status, 404);
    assert.equal(badExt.body, JSON_ERROR_INVALID_EXT);
    assertCors(badExt, true);
  });

  test('an unknown service name is a JSON 404 with CORS; names are decoded and escaped the Go way', async () => {
    const reply = await fetchRaw(fx.port, 'GET', '/api/services/garbage.json');
    assert.equal(reply.status, 404);
    assert.equal(reply.body, '{"message":"no instances of garbage found","status":"error"}');
    assert.equal(reply.headers['content-type'], 'application/json');
    assertCors(reply, true);
    const html = await fetchRaw(fx.port, 'GET', '/api/services/%3Cb%3E%20%C3%A9.json');
    assert.equal(html.body, '{"message":"no instances of \\u003cb\\u003e é found","status":"error"}');
    const invalidUtf8 = await fetchRaw(fx.port, 'GET', '/api/services/%FF.json');
    assert.equal(invalidUtf8.body, '{"message":"no instances of \uFFFD found","status":"error"}');
  });

  test('GET /api/state.json and /state.json are the compact golden state with CORS', async () => {
    for (const path of ['/api/state.json', '/state.json']) {
      const reply = await fetchRaw(fx.port, 'GET', path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers['content-type'], 'application/json');
      assertCors(reply, true);
      assert.equal(reply.body, golden('state.json'));
    }
  });

  test('a state extension other than json is a JSON 404 without CORS', async () => {
    for (const path of ['/api/state.yaml', '/state.txt']) {
      const reply = await fetchRaw(fx.port, 'GET', path);
      assert.equal(reply.status, 404);
      assert.equal(reply.body, JSON_ERROR_INVALID_EXT);
      assert.equal(reply.headers['content-type'], 'application/json');
      assertCors(reply, false);
    }
  });

  test('OPTIONS on a single-segment /api path answers 200 with the CORS headers and no body', async () => {
    for (const path of ['/api/services.json', '/api/state.json', '/api/watch', '/api/anything']) {
      const reply = await fetchRaw(fx.port, 'OPTIONS', path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.body, '');
      assert.equal(reply.headers['content-length'], '0');
      assert.equal(reply.headers['content-type'], undefined);
      assertCors(reply, true);
    }
  });

  test('a known path with the wrong method is an empty 405 (gorilla/mux)', async () => {
    const cases: Array<[string, string]> = [
      ['POST', '/'],
      ['HEAD', '/'],
      ['POST', '/servers'],
      ['POST', '/api/services.json'],
      ['PUT', '/api/state.json'],
      ['DELETE', '/api/services/deadbeef123/drain'],
      ['GET', '/api/services/deadbeef123/drain'],
      ['POST', '/api/services/bocaccio.json'],
      ['OPTIONS', '/api/services/bocaccio.json'],
      ['POST', '/state.json'],
      ['POST', '/services.json'],
      ['OPTIONS', '/watch'],
      ['HEAD', '/api/state.json'],
      // `OPTIONS /api/{path}` matches every single-segment path, so other methods get 405 there.
      ['GET', '/api/bogus'],
    ];
    for (const [method, path] of cases) {
      const reply = await fetchRaw(fx.port, method, path);
      assert.equal(reply.status, 405, `${method} ${path}`);
      if (method !== 'HEAD') assert405(reply);
    }
  });

  test('unknown paths are Go\'s text 404', async () => {
    for (const path of ['/nope', '/api/', '/api/services/a/b/c', '/api/services/x.json/more', '/static/Sidecar.png', '/ui/app.js', '/v1/clusters', '/api', '/apistate.json']) {
      assertGoNotFound(await fetchRaw(fx.port, 'GET', path));
    }
  });

  test('GET / redirects 301 to /ui/ like http.Redirect', async () => {
    const reply = await fetchRaw(fx.port, 'GET', '/?x=1');
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.location, '/ui/');
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(reply.body, '<a href="/ui/">Moved Permanently</a>.\n\n');
  });

  test('GET /servers is the golden HTML page', async () => {
    const reply = await fetchRaw(fx.port, 'GET', '/servers');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/html');
    assert.equal(reply.body, golden('servers.html'));
  });

  test('the UI is served at /ui and /ui/, /ui/index.html redirects to ./', async () => {
    for (const path of ['/ui/', '/ui']) {
      const reply = await fetchRaw(fx.port, 'GET', path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(String(reply.headers['content-security-policy']), /default-src 'none'; script-src 'sha256-/);
      assert.match(reply.body, /this host <b>chaucer<\/b>/);
      assert.match(reply.body, /new EventSource\('\/api\/events'\)/);
      assert.doesNotMatch(reply.body, /<script src=|<link /);
    }
    const redirect = await fetchRaw(fx.port, 'GET', '/ui/index.html');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, './');
    assert.equal(redirect.body, '');
  });

  test('unclean paths redirect to the clean path, keeping the query', async () => {
    const dotted = await fetchRaw(fx.port, 'GET', '/api/./state.json?x=1');
    assert.equal(dotted.status, 301);
    assert.equal(dotted.headers.location, '/api/state.json?x=1');
    assert.equal(dotted.body, '<a href="/api/state.json?x=1">Moved Permanently</a>.\n\n');
    const doubled = await fetchRaw(fx.port, 'POST', '//api//services/x/drain');
    assert.equal(doubled.status, 301);
    assert.equal(doubled.headers.location, '/api/services/x/drain');
    assert.equal(doubled.body, '');
    // Clean when escaped, not once decoded: gorilla/mux redirects with no body.
    const encoded = await fetchRaw(fx.port, 'GET', '/api/services/a%2F..%2Fbocaccio.json');
    assert.equal(encoded.status, 301);
    assert.equal(encoded.headers.location, '/api/services/bocaccio.json');
    assert.equal(encoded.body, '');
  });

  test('bad percent-encoding is a 400, too long a URL a 414, and the server carries on', async () => {
    const bad = await sendRawBytes(fx.port, 'GET /api/services/%zz.json HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(bad, /\r\n\r\n400 Bad Request$/);
    const long = await fetchRaw(fx.port, 'GET', `/api/services/${'a'.repeat(9000)}.json`);
    assert.equal(long.status, 414);
    const huge = await sendRawBytes(fx.port, `GET /${'b'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    const garbage = await sendRawBytes(fx.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const star = await sendRawBytes(fx.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(star, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/state.json')).status, 200);
  });

  test('an absolute-form request target is routed by its path', async () => {
    const reply = await sendRawBytes(fx.port, 'GET http://example.com/api/state.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(reply.endsWith(golden('state.json')));
  });
});

describe('drain', () => {
  let fx: ApiFixture;
  before(async () => {
    fx = await startApi();
  });
  after(async () => {
    await fx.close();
  });

  test('POST /api/services/<local id>/drain answers 202 and sets DRAINING', async () => {
    const reply = await fetchRaw(fx.port, 'POST', '/api/services/deadbeef123/drain');
    assert.equal(reply.status, 202);
    assert.equal(reply.headers['content-type'], 'application/json');
    assertCors(reply, false);
    assert.equal(reply.body, '{\n  "Message": "Service \\"bocaccio\\" instance \\"deadbeef123\\" set to DRAINING"\n}');
    assert.deepEqual(fx.drained, ['deadbeef123']);
    assert.equal(fx.state.getLocalServiceById('deadbeef123')?.status, ServiceStatus.DRAINING);
  });

  test('an ID not on this host is a JSON 404 with the ID Go-quoted', async () => {
    const remote = await fetchRaw(fx.port, 'POST', '/api/services/deadbeef789/drain');
    assert.equal(remote.status, 404);
    assert.equal(remote.headers['content-type'], 'application/json');
    assert.equal(remote.body, '{"message":"Not Found - Service ID \\"deadbeef789\\" not found","status":"error"}');
    const odd = await fetchRaw(fx.port, 'POST', '/api/services/a%22b%09%3C/drain');
    assert.equal(odd.body, '{"message":"Not Found - Service ID \\"a\\\\\\"b\\\\t\\u003c\\" not found","status":"error"}');
  });

  test('a request body is ignored, and a huge one does not hang the server', async () => {
    const small = await fetchRaw(fx.port, 'POST', '/api/services/deadbeef456/drain', { body: '{"anything":true}' });
    assert.equal(small.status, 202);
    const big = await fetchRaw(fx.port, 'POST', '/api/services/nothere/drain', { body: Buffer.alloc(4 * 1024 * 1024, 0x61) }).catch(
      (err: Error) => err,
    );
    // Either the answer arrived before the connection was cut, or the cut came first; both are fine.
    if (!(big instanceof Error)) assert.equal(big.status, 404);
    // Host must name the agent: mutations with a foreign Host are refused (DNS rebinding).
    const endless = await sendRawBytes(
      fx.port,
      `POST /api/services/nothere/drain HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${`10000\r\n${'z'.repeat(0x10000)}\r\n`.repeat(4)}`,
    );
    assert.match(endless, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.equal((await fetchRaw(fx.port, 'GET', '/api/state.json')).status, 200);
  });
});

describe('mounted extra routes', () => {
  test('a mount gets every method under its prefix with the prefix stripped', async () => {
    const seen: string[] = [];
    const fx = await startApi({
      extra: {
        extraRoutes: [
          {
            prefix: '/v1',
            handle: ({ res, method, path, rawQuery }) => {
              seen.push(`${method} ${path} ${rawQuery}`);
              res.writeHead(200, { 'Content-Type': 'text/plain' }).end('v1');
            },
          },
        ],
      },
    });
    try {
      assert.equal((await fetchRaw(fx.port, 'GET', '/v1/clusters?a=b')).body, 'v1');
      assert.equal((await fetchRaw(fx.port, 'OPTIONS', '/v1/listeners')).body, 'v1');
      assert.deepEqual(seen, ['GET /clusters a=b', 'OPTIONS /listeners ']);
      assert.equal((await fetchRaw(fx.port, 'GET', '/api/state.json')).status, 200);
    } finally {
      await fx.close();
    }
  });
});
