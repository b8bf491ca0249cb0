import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, hasCode } from '../../../src/core/index.js';
import { loadApiTls, loadApiToken } from '../../../src/api/index.js';
import { startApi } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-api-tls-'));

function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function httpsPost(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API over HTTPS', () => {
  it('serves HTTPS with the given pair; errors name the file or the missing setting', async () => {
    const a = selfSigned('a');
    const b = selfSigned('b');
    const tls = loadApiTls(a.cert, a.key);
    assert.ok(tls);
    assert.equal(loadApiTls('', ''), undefined);
    const fails = (fn: () => unknown, pattern: RegExp): void => {
      assert.throws(fn, (err: unknown) => hasCode(err, ErrorCode.API_TLS) && pattern.test((err as Error).message));
    };
    fails(() => loadApiTls(a.cert, ''), /--api-tls-key \(SIDECAR_API_TLS_KEY\) is not set/);
    fails(() => loadApiTls('', a.key), /--api-tls-cert/);
    fails(() => loadApiTls(join(dir, 'nope.crt'), a.key), /certificate file .*nope\.crt cannot be used/);
    fails(() => loadApiTls(a.cert, b.key), /not a usable pair/);

    const fx = await startApi({ extra: { tls } });
    try {
      assert.equal(await httpsPost(fx.port, '/api/services/deadbeef123/drain', { Origin: `https://127.0.0.1:${fx.port}` }), 202);
      assert.equal(await httpsPost(fx.port, '/api/services/deadbeef123/drain', { Origin: `http://127.0.0.1:${fx.port}` }), 403, 'the http origin is not this API');
    } finally {
      await fx.close();
    }
  });
});

describe('API token loading', () => {
  it('the environment wins; a file is trimmed; bad files stop start-up naming the file, never the content', () => {
    const file = join(dir, 'token');
    writeFileSync(file, '  from-file-token\n');
    assert.deepEqual(loadApiToken('env-token', file), { token: 'env-token', source: 'SIDECAR_API_TOKEN' });
    assert.deepEqual(loadApiToken('', file), { token: 'from-file-token', source: `file ${file}` });
    assert.deepEqual(loadApiToken('', ''), { token: undefined, source: 'none' });
    const fails = (content: string | null, pattern: RegExp): void => {
      const path = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
      if (content !== null) writeFileSync(path, content);
      assert.throws(
        () => loadApiToken('', path),
        (err: unknown) => hasCode(err, ErrorCode.API_TOKEN) && pattern.test((err as Error).message) && (err as Error).message.includes(path) && (content === null || content.trim() === '' || !(err as Error).message.includes(content.trim().slice(0, 20))),
      );
    };
    fails(null, /cannot be read/);
    fails('\n \n', /is empty/);
    fails('secret-part one', /whitespace inside the token/);
    fails('S'.repeat(5000), /more than the 4096 allowed/);
  });
});
