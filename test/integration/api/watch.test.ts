import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { encodeGoJson, type Disposable } from '../../../src/core/index.js';
import { ServiceStatus, byServiceToGoJson, encodeState, type ChangeEvent, type Service, type ServicesState } from '../../../src/catalog/index.js';
import { eventually } from '../../helpers/eventually.js';
import { JsonStreamDecoder } from '../../helpers/json-stream.js';
import { makeService, ts } from '../../helpers/catalog.js';
import { startApi } from './fixture.js';

const golden = (name: string): string => readFileSync(new URL(`../../fixtures/api/${name}`, import.meta.url), 'utf8');

interface WatchClient {
  readonly res: IncomingMessage;
  readonly decoder: JsonStreamDecoder;
  /** Everything received, concatenated. */
  raw(): string;
  ended(): boolean;
  close(): void;
}

function watch(port: number, path: string): Promise<WatchClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const decoder = new JsonStreamDecoder();
      let raw = '';
      let ended = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        decoder.push(chunk);
      });
      res.on('end', () => {
        ended = true;
      });
      res.on('error', () => undefined);
      resolve({ res, decoder, raw: () => raw, ended: () => ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A newly seen record: one change event. */
function newService(n: number, hostname = 'shakespeare'): Service {
  return makeService({ id: `feed${String(n).padStart(8, '0')}`, name: `svc${n % 7}`, hostname, updated: ts('2023-11-14T10:21:39Z') + BigInt(n) });
}

describe('/api/watch', () => {
  test('streams the by-service map at once, then one document per change, with no separator', async () => {
    const fx = await startApi();
    try {
      const client = await watch(fx.port, '/api/watch');
      assert.equal(client.res.statusCode, 200);
      assert.equal(client.res.headers['content-type'], 'application/json');
      assert.equal(client.res.headers['transfer-encoding'], 'chunked');
      assert.equal(client.res.headers['access-control-allow-origin'], undefined);
      await eventually(() => assert.equal(client.decoder.texts.length, 1));
      assert.equal(client.decoder.texts[0], golden('by-service.json'));

      fx.state.addServiceEntry(newService(1));
      await eventually(() => assert.equal(client.decoder.texts.length, 2));
      const second = client.decoder.values[1] as Record<string, Service[]>;
      assert.deepEqual(Object.keys(second), ['a.b', 'bocaccio', 'dante', 'shakespeare', 'svc1']);
      assert.equal(client.raw(), client.decoder.texts.join(''));

      // A refresh with the same status is no change event: no document. The next real change is.
      fx.state.addServiceEntry({ ...newService(1), updated: ts('2023-11-14T10:21:39.5Z') });
      fx.state.addServiceEntry({ ...makeService(), status: ServiceStatus.UNHEALTHY, updated: ts('2023-11-14T10:21:39.6Z') });
      await eventually(() => assert.equal(client.decoder.texts.length, 3));
      const third = client.decoder.values[2] as Record<string, Array<{ ID: string; Status: number }>>;
      assert.equal(third['bocaccio']?.find((s) => s.ID === 'deadbeef123')?.Status, ServiceStatus.UNHEALTHY);
      assert.equal(client.ended(), false);
      client.close();
    } finally {
      await fx.close();
    }
  });

  test('by_service=false streams the full state; /watch is the same handler', async () => {
    const fx = await startApi();
    try {
      const full = await watch(fx.port, '/api/watch?by_service=false');
      const legacy = await watch(fx.port, '/watch?by_service=true');
      await eventually(() => assert.equal(full.decoder.texts.length, 1));
      await eventually(() => assert.equal(legacy.decoder.texts.length, 1));
      assert.equal(full.decoder.texts[0], golden('state.json'));
      assert.equal(legacy.decoder.texts[0], golden('by-service.json'));
      fx.state.addServiceEntry(newService(2));
      await eventually(() => assert.equal(full.decoder.texts.length, 2));
      assert.equal(full.decoder.texts[1], encodeState(fx.state));
      assert.deepEqual(Object.keys(full.decoder.values[1] as object), ['Servers', 'LastChanged', 'ClusterName', 'Hostname']);
      await eventually(() => assert.equal(legacy.decoder.texts.length, 2));
      full.close();
      legacy.close();
    } finally {
      await fx.close();
    }
  });

  test('changes made in one synchronous burst arrive as one document holding all of them', async () => {
    const fx = await startApi();
    try {
      const client = await watch(fx.port, '/api/watch');
      await eventually(() => assert.equal(client.decoder.texts.length, 1));
      for (let i = 10; i < 20; i++) fx.state.addServiceEntry(newService(i));
      await eventually(() => assert.equal(client.decoder.texts.length, 2));
      const doc = client.decoder.values[1] as Record<string, unknown[]>;
      const ids = Object.values(doc).flat().length;
      assert.equal(ids, 5 + 10);
      client.close();
    } finally {
      await fx.close();
    }
  });

  test('disconnecting removes the watcher and, with the last one, the catalog subscription', async () => {
    const fx = await startApi();
    const active = spySubscriptions(fx.state);
    try {
      const a = await watch(fx.port, '/api/watch');
      const b = await watch(fx.port, '/api/watch?by_service=false');
      await eventually(() => assert.equal(fx.api.watchStats().length, 2));
      assert.equal(active.count, 1, 'one subscription shared by all watchers');
      a.close();
      await eventually(() => assert.equal(fx.api.watchStats().length, 1));
      assert.equal(active.count, 1);
      b.close();
      await eventually(() => assert.equal(fx.api.watchStats().length, 0));
      assert.equal(active.count, 0);
      const c = await watch(fx.port, '/api/watch');
      await eventually(() => assert.equal(active.count, 1));
      c.close();
      await eventually(() => assert.equal(active.count, 0));
    } finally {
      await fx.close();
    }
  });

  test('close() ends open streams and resolves', async () => {
    const fx = await startApi();
    const client = await watch(fx.port, '/api/watch');
    await eventually(() => assert.equal(client.decoder.texts.length, 1));
    await fx.close();
    await fx.close();
    await eventually(() => assert.equal(client.ended() || client.res.destroyed, true));
    assert.equal(client.decoder.midDocument, false);
  });

  test('a client that stops reading neither blocks others nor makes the server buffer without bound', async () => {
    const records: Service[] = [];
    for (let i = 0; i < 3000; i++) {
      records.push(
        makeService({ id: `big${String(i).padStart(9, '0')}`, name: `bulk${i % 50}`, hostname: `host${i % 20}`, image: `registry.example.com/team/image-${i}:${'f'.repeat(40)}` }),
      );
    }
    const fx = await startApi({ records });
    try {
      const stalled = await rawWatchThatNeverReads(fx.port);
      const reader = await watch(fx.port, '/api/watch?by_service=false');
      await eventually(() => assert.equal(reader.decoder.texts.length, 1));
      const docBytes = Buffer.byteLength(reader.decoder.texts[0] ?? '');
      assert.ok(docBytes > 500_000, `documents are big enough to fill socket buffers (${docBytes} bytes)`);

      const changes = 60;
      for (let i = 1; i <= changes; i++) {
        fx.state.addServiceEntry(newService(1000 + i));
        await eventually(() => assert.equal(reader.decoder.texts.length, 1 + i), { timeoutMs: 10_000 });
      }
      const stats = fx.api.watchStats();
      const stalledStats = stats.find((s) => s.kind === 'byService');
      assert.ok(stalledStats !== undefined);
      assert.ok(stalledStats.backpressured, 'the stalled client is backpressured');
      assert.ok(stalledStats.documentsWritten < 30, `stalled client got ${stalledStats.documentsWritten} documents queued`);
      assert.ok(stalledStats.changesCoalesced >= changes - stalledStats.documentsWritten);
      assert.ok(stalledStats.bufferedBytes <= 2 * docBytes + 64 * 1024, `buffered ${stalledStats.bufferedBytes} bytes`);

      // Once it reads again it catches up, ending with one document holding the latest state.
      const caughtUp = new JsonStreamDecoder();
      const body = new ChunkedBody((text) => caughtUp.push(text));
      stalled.on('data', (chunk: Buffer) => body.push(chunk));
      stalled.resume();
      const latest = latestByService(fx.state);
      await eventually(() => assert.equal(caughtUp.texts.at(-1), latest), { timeoutMs: 10_000 });
      assert.ok(caughtUp.texts.length <= stalledStats.documentsWritten + 1);
      stalled.destroy();
      reader.close();
    } finally {
      await fx.close();
    }
  });
});

/** Counts live subscriptions to `state.onDidChangeService`. */
function spySubscriptions(state: ServicesState): { readonly count: number } {
  const original = state.onDidChangeService;
  const spy = { count: 0 };
  (state as { onDidChangeService: (l: (e: ChangeEvent) => void) => Disposable }).onDidChangeService = (listener) => {
    const inner = original(listener);
    spy.count++;
    let disposed = false;
    return {
      dispose() {
        if (disposed) return;
        disposed = true;
        spy.count--;
        inner.dispose();
      },
    };
  };
  return spy;
}

/** A `/api/watch` client on a raw socket that reads nothing after connecting. */
function rawWatchThatNeverReads(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.pause();
      socket.write('GET /api/watch HTTP/1.1\r\nHost: x\r\n\r\n');
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** The compact by-service document of the current state, as Go's json.Marshal(state.ByService()). */
function latestByService(state: ServicesState): string {
  return encodeGoJson(byServiceToGoJson(state.byService()));
}

/** Incremental parser of a raw HTTP/1.1 response with a chunked body: hands on the payload text. */
class ChunkedBody {
  private buffer = Buffer.alloc(0);
  private inBody = false;
  private readonly utf8 = new TextDecoder('utf-8');

  constructor(private readonly onText: (text: string) => void) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.inBody) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.buffer = this.buffer.subarray(end + 4);
      this.inBody = true;
    }
    for (;;) {
      const eol = this.buffer.indexOf('\r\n');
      if (eol < 0) return;
      const size = parseInt(this.buffer.subarray(0, eol).toString('latin1'), 16);
      if (Number.isNaN(size) || this.buffer.length < eol + 2 + size + 2) return;
      this.onText(this.utf8.decode(this.buffer.subarray(eol + 2, eol + 2 + size), { stream: true }));
      this.buffer = this.buffer.subarray(eol + 2 + size + 2);
    }
  }
}
