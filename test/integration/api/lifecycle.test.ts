import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { BugError, ErrorCode, SidecarError, silentLogger } from '../../../src/core/index.js';
import { ApiServer } from '../../../src/api/index.js';
import { makeState } from '../../helpers/catalog.js';
import { eventually } from '../../helpers/eventually.js';
import { fetchRaw } from './fixture.js';

function server(port: number): ApiServer {
  const { state, clock } = makeState();
  return new ApiServer({ host: '127.0.0.1', port, state, members: () => [], drain: () => undefined, logger: silentLogger(), clock });
}

test('a port in use is a SidecarError API_LISTEN that names the address and --http-port', async () => {
  const first = server(0);
  await first.start();
  const { port } = first.address();
  const second = server(port);
  try {
    await assert.rejects(second.start(), (err: unknown) => {
      assert.ok(err instanceof SidecarError);
      assert.equal(err.code, ErrorCode.API_LISTEN);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(err.message, /--http-port/);
      return true;
    });
  } finally {
    await second.close();
    await first.close();
  }
});

test('the constructor opens nothing; start listens; address() reports the bound port', async () => {
  const api = server(0);
  assert.equal(api.address().port, 0);
  await api.start();
  await api.start();
  const { host, port } = api.address();
  assert.equal(host, '127.0.0.1');
  assert.ok(port > 0);
  assert.equal((await fetchRaw(port, 'GET', '/api/state.json')).status, 200);
  await api.close();
  await assert.rejects(fetchRaw(port, 'GET', '/api/state.json'), /ECONNREFUSED/);
});

test('close() is idempotent, closes idle keep-alive connections, and forbids a restart', async () => {
  const never = server(0);
  await never.close();
  await never.close();

  const api = server(0);
  await api.start();
  const { port } = api.address();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let socketClosed = false;
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/state.json', agent }, (res) => {
      res.socket.once('close', () => {
        socketClosed = true;
      });
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  const closing = [api.close(), api.close()];
  await Promise.all(closing);
  await eventually(() => assert.equal(socketClosed, true));
  await assert.rejects(api.start(), (err: unknown) => err instanceof BugError && err.code === ErrorCode.BUG);
  agent.destroy();
});
