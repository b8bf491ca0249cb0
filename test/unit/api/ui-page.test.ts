import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

test('the page is self-contained, polls services.json every 4 s and can drain', () => {
  const { html } = buildUiPage('chaucer', 'default');
  assert.doesNotMatch(html, /\bsrc=|\bhref=|@import|url\(/);
  assert.match(html, /var POLL_MS = 4000;/);
  assert.match(html, /fetch\('\/api\/services\.json'/);
  assert.match(html, /'\/api\/services\/' \+ encodeURIComponent\(svc\.ID\) \+ '\/' \+ action/);
  assert.match(html, /fetch\(path, \{ method: 'POST', headers: headers \}\)/);
  assert.match(html, /actionButton\(svc, 'drain', 'Drain'/);
  assert.match(html, /actionButton\(svc, 'undrain', 'Undrain'/);
  assert.doesNotMatch(inline(html, 'script'), /innerHTML|insertAdjacentHTML|document\.write/);
});

test('hostname and cluster name are escaped', () => {
  const { html } = buildUiPage('h"><script>x</script>', '<c&>');
  assert.ok(html.includes('<meta name="sidecar-hostname" content="h&#34;&gt;&lt;script&gt;x&lt;/script&gt;">'));
  assert.ok(html.includes('<b>&lt;c&amp;&gt;</b>'));
  assert.equal(html.match(/<script>/g)?.length, 1);
});

// ---- the script run against a minimal DOM, with fetch answering the golden services.json

class FakeElement {
  readonly children: FakeElement[] = [];
  readonly listeners = new Map<string, () => void>();
  className = '';
  hidden = false;
  disabled = false;
  title = '';
  colSpan = 1;
  value = '';
  private text = '';

  constructor(readonly tagName: string, private readonly attributes: Record<string, string> = {}) {}

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

  getAttribute(name: string): string | null {
    return this.attributes[name] ?? null;
  }

  all(): FakeElement[] {
    return [this, ...this.children.flatMap((c) => c.all())];
  }
}

test('the script renders hosts and services, with Drain buttons only on live local instances', async () => {
  const golden = readFileSync(new URL('../../fixtures/api/services.json', import.meta.url), 'utf8');
  const { html } = buildUiPage('chaucer', 'default');
  const byId: Record<string, FakeElement> = {};
  for (const id of ['services', 'error', 'notice', 'filter', 'updated']) byId[id] = new FakeElement('div');
  const hostsBody = new FakeElement('tbody');
  const meta = new FakeElement('meta', { content: 'chaucer' });
  const requests: Array<{ url: string; method: string }> = [];
  const document = {
    createElement: (tag: string) => new FakeElement(tag),
    getElementById: (id: string) => byId[id],
    querySelector: (selector: string) => (selector === '#hosts tbody' ? hostsBody : selector.startsWith('meta[') ? meta : null),
  };
  const fetch = (url: string, init: { method?: string } = {}) => {
    requests.push({ url, method: init.method ?? 'GET' });
    const body = url === '/api/services.json' ? golden : '{"Message":"drained"}';
    return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(JSON.parse(body) as unknown) });
  };
  const context = {
    document,
    fetch,
    window: { confirm: () => true },
    setTimeout: () => 0,
    clearTimeout: () => undefined,
    AbortController,
    Date,
    Object,
    String,
    Math,
    isNaN,
  };
  runInNewContext(inline(html, 'script'), context);
  await eventually(() => assert.ok(byId['services']!.children.length > 0));
  assert.equal(byId['error']!.hidden, true, 'a successful poll hides the error banner');

  assert.deepEqual(
    hostsBody.children.map((row) => row.children[0]?.textContent),
    ['chaucer (this host)', 'marlowe', 'shakespeare'],
  );
  const cards = byId['services']!.children;
  assert.deepEqual(cards.map((c) => c.children[0]?.children[0]?.textContent), ['a.b', 'bocaccio', 'dante', 'shakespeare']);
  const rows = byId['services']!.all().filter((e) => e.tagName === 'tr' && e.children[0]?.tagName === 'td');
  const drainable = rows.filter((r) => r.all().some((e) => e.tagName === 'button')).map((r) => r.children[1]?.textContent);
  // Local (chaucer) and not already draining or gone: a.b (alive), bocaccio 123 (alive), shakespeare (unhealthy).
  assert.deepEqual(drainable, ['deadbeef000', 'deadbeef123', 'deadbeef456']);
  const badges = byId['services']!.all().filter((e) => e.className.startsWith('status '));
  assert.deepEqual(
    badges.map((b) => b.className),
    ['status s-alive', 'status s-alive', 'status s-draining', 'status s-tombstone', 'status s-unhealthy'],
  );

  const button = rows[1]?.all().find((e) => e.tagName === 'button');
  button?.listeners.get('click')?.();
  await eventually(() => assert.ok(requests.some((r) => r.method === 'POST')));
  assert.deepEqual(requests.find((r) => r.method === 'POST'), { url: '/api/services/deadbeef123/drain', method: 'POST' });
});
