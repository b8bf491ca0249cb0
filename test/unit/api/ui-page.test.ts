import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Script, runInNewContext } from 'node:vm';
import { buildUiPage } from '../../../src/api/ui-page.js';
import { eventually } from '../../helpers/eventually.js';

function inline(html: string, tag: 'script' | 'style'): string {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html);
  assert.ok(m !== null, `no inline ${tag}`);
  return m[1] ?? '';
}

test('the inline script is valid JavaScript and the CSP allows exactly it and the style', () => {
  const page = buildUiPage('chaucer', 'default');
  const script = inline(page.html, 'script');
  assert.doesNotThrow(() => new Script(script));
  const hash = (text: string): string => `sha256-${createHash('sha256').update(text).digest('base64')}`;
  assert.ok(page.contentSecurityPolicy.includes(`script-src '${hash(script)}'`));
  assert.ok(page.contentSecurityPolicy.includes(`style-src '${hash(inline(page.html, 'style'))}'`));
  assert.match(page.contentSecurityPolicy, /^default-src 'none'; /);
});

test('the page is self-contained, is pushed to over /api/events (no polling) and can drain and undrain', () => {
  const { html } = buildUiPage('chaucer', 'default');
  const script = inline(html, 'script');
  assert.doesNotMatch(html, /\bsrc=|\bhref=|@import|url\(/);
  assert.match(script, /new EventSource\('\/api\/events'\)/);
  assert.doesNotMatch(script, /services\.json|setTimeout/, 'nothing is polled');
  assert.match(script, /'\/api\/services\/' \+ encodeURIComponent\(id\) \+ '\/' \+ action/);
  assert.match(script, /fetch\(path, \{ method: 'POST', headers: headers \}\)/);
  assert.match(script, /actionButton\(svc\.name, i\.id, 'drain', 'Drain'\)/);
  assert.match(script, /actionButton\(svc\.name, i\.id, 'undrain', 'Undrain'\)/);
  assert.doesNotMatch(script, /innerHTML|insertAdjacentHTML|document\.write/);
});

test('hostname and cluster name are escaped', () => {
  const { html } = buildUiPage('h"><script>x</script>', '<c&>');
  assert.ok(html.includes('this host <b>h&#34;&gt;&lt;script&gt;x&lt;/script&gt;</b>'));
  assert.ok(html.includes('<b>&lt;c&amp;&gt;</b>'));
  assert.equal(html.match(/<script>/g)?.length, 1);
});

// ---- the script run against a minimal DOM, fed by a fake EventSource

class FakeElement {
  readonly children: FakeElement[] = [];
  readonly listeners = new Map<string, () => void>();
  readonly attributes: Record<string, string> = {};
  className = '';
  hidden = false;
  disabled = false;
  title = '';
  value = '';
  private text = '';

  constructor(readonly tagName: string) {}

  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }

  set textContent(value: string) {
    this.text = value;
    this.children.length = 0;
  }

  appendChild(child: FakeElement): FakeElement {
    this.children.push(child);
    return child;
  }

  addEventListener(type: string, listener: () => void): void {
    this.listeners.set(type, listener);
  }

  setAttribute(name: string, value: string): void {
    this.attributes[name] = value;
  }

  getAttribute(name: string): string | null {
    return this.attributes[name] ?? null;
  }

  all(): FakeElement[] {
    return [this, ...this.children.flatMap((c) => c.all())];
  }
}

class FakeEventSource {
  static last: FakeEventSource | undefined;
  readonly handlers = new Map<string, (ev: { data: string }) => void>();
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(kind: string, handler: (ev: { data: string }) => void): void {
    this.handlers.set(kind, handler);
  }
  emit(kind: string, data: unknown): void {
    this.handlers.get(kind)?.({ data: JSON.stringify(data) });
  }
}

test('the script renders members and services from pushed events: counts leave tombstones out, reasons shown, Drain only on live local instances', async () => {
  const { html } = buildUiPage('chaucer', 'default');
  const byId: Record<string, FakeElement> = {};
  const document = {
    createElement: (tag: string) => new FakeElement(tag),
    createTextNode: (text: string) => {
      const node = new FakeElement('#text');
      node.textContent = text;
      return node;
    },
    getElementById: (id: string) => (byId[id] ??= new FakeElement('div')),
    querySelectorAll: () => [],
  };
  const requests: Array<{ url: string; method: string }> = [];
  const fetch = (url: string, init: { method?: string } = {}) => {
    requests.push({ url, method: init.method ?? 'GET' });
    return Promise.resolve({ ok: true, status: 202, json: () => Promise.resolve({ Message: 'drained' }) });
  };
  const context = { document, fetch, EventSource: FakeEventSource, window: { confirm: () => true, setInterval: () => 0 }, Date, JSON, Math, Number, String };
  runInNewContext(inline(html, 'script'), context);
  const source = FakeEventSource.last;
  assert.equal(source?.url, '/api/events');
  source?.emit('members', {
    local: 'chaucer',
    members: [
      { name: 'chaucer', address: '127.0.0.1:7946', state: 'alive', incarnation: 1, lastChangeMs: 1, services: 2 },
      { name: 'marlowe', address: '127.0.0.2:7946', state: 'dead', incarnation: 4, lastChangeMs: 1, services: 1 },
    ],
  });
  const instance = (id: string, host: string, status: number, check: unknown = null) => ({ id, host, image: 'img', ports: [], status, statusName: '', mode: 'http', updatedMs: 1, check });
  source?.emit('services', {
    local: 'chaucer',
    services: [
      {
        name: 'web',
        instances: [
          instance('a1', 'chaucer', 0),
          instance('a2', 'chaucer', 2, { type: 'HttpGet', result: 'sickly', reason: 'HTTP 503 from http://127.0.0.1:1/health', lastRunMs: 1, consecutiveFailures: 1 }),
          instance('a3', 'chaucer', 1),
          instance('a4', 'chaucer', 4),
          instance('b1', 'marlowe', 0),
        ],
      },
    ],
  });
  const memberRows = byId['members-body']!.children;
  assert.deepEqual(memberRows.map((r) => [r.getAttribute('data-member'), r.className.trim()]), [
    ['chaucer', 'local'],
    ['marlowe', 'departed'],
  ]);
  assert.equal(byId['members-count']!.textContent, '1 alive of 1 (1 failed or departed)');
  const card = byId['services']!.children[0]!;
  assert.equal(card.className, 'card down');
  assert.match(card.textContent, /2 alive of 4 · 1 removed \(tombstones\)/);
  const rows = card.all().filter((e) => e.tagName === 'tr' && e.getAttribute('data-instance') !== null);
  assert.deepEqual(rows.map((r) => [r.getAttribute('data-instance'), r.getAttribute('data-status')]), [
    ['a1', 'ALIVE'],
    ['a2', 'UNHEALTHY'],
    ['a3', 'TOMBSTONE'],
    ['a4', 'DRAINING'],
    ['b1', 'ALIVE'],
  ]);
  assert.match(rows[1]!.textContent, /HttpGet: sickly.*HTTP 503 from/);
  assert.match(rows[4]!.textContent, /checked on marlowe/);
  const buttons = rows.map((r) => r.all().find((e) => e.tagName === 'button')?.getAttribute('data-action') ?? null);
  assert.deepEqual(buttons, ['drain', 'drain', null, 'undrain', null]);
  rows[0]!.all().find((e) => e.tagName === 'button')?.listeners.get('click')?.();
  await eventually(() => assert.deepEqual(requests, [{ url: '/api/services/a1/drain', method: 'POST' }]));
});
