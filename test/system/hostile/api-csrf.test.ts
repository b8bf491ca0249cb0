/**
 * Issue #11 row 1: any web page a user opens could drain every local service with
 * `fetch('http://127.0.0.1:7777/api/services/<id>/drain', {method:'POST', mode:'no-cors'})`.
 * Against a real agent (bin/sidecar, a static service with an AlwaysSuccessful check):
 * - headless Chromium (Debian's, driven by playwright-core) opens a page served from another
 *   origin (another port on 127.0.0.1) that runs exactly that fetch: the service stays ALIVE
 *   and the audit log shows the refusal;
 * - a request whose Host is a foreign name (DNS rebinding) is refused;
 * - a loopback curl-style POST without a token still drains (202), as sidecar-executor needs;
 * - with SIDECAR_API_TOKEN set, a missing token is 401 and a wrong one 403.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const CHROMIUM = '/usr/bin/chromium';
const browserSkip = existsSync(CHROMIUM) ? false : 'chromium is not installed (run scripts/browser/install-chromium.sh)';

type StateDoc = { Servers: Record<string, { Services: Record<string, { ID: string; Status: number }> } | undefined> };

const agents: AgentProcess[] = [];
after(() => {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
});

async function startWithService(name: string, env: Record<string, string> = {}): Promise<{ agent: AgentProcess; api: string; id: string; status: () => Promise<number | undefined> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-csrf-'));
  const file = join(dir, 'static.json');
  writeFileSync(file, JSON.stringify([{ Service: { Name: 'victim', Image: 'img:1', Ports: [{ Type: 'tcp', Port: 20001, ServicePort: 20001 }] }, Check: { Type: 'AlwaysSuccessful' } }]));
  const agent = startAgent(['--hostname', name, '--discover', 'static', '--static-config', file, '--http-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy', '--bind-port', String(await freePort())], env);
  agents.push(agent);
  const api = await agent.apiUrl();
  const status = async (): Promise<number | undefined> => {
    const doc = (await (await fetch(`${api}/api/state.json`)).json()) as StateDoc;
    return Object.values(doc.Servers[name]?.Services ?? {})[0]?.Status;
  };
  await eventually(async () => assert.equal(await status(), 0), { timeoutMs: 10_000, intervalMs: 50 });
  const doc = (await (await fetch(`${api}/api/state.json`)).json()) as StateDoc;
  const id = Object.values(doc.Servers[name]?.Services ?? {})[0]?.ID ?? '';
  return { agent, api, id, status };
}

/** A curl-like POST: no Origin, no Sec-Fetch-* headers, Host as given (default the URL's). */
function post(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Debian's Chromium, headless, with a fresh profile. */
async function launchChromium(): Promise<import('playwright-core').BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sidecar-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function audits(agent: AgentProcess): Array<Record<string, unknown>> {
  return agent.logs.filter((l) => l['audit'] === true);
}

describe('API mutations from a hostile page and hostile requests (no token configured)', () => {
  let target: Awaited<ReturnType<typeof startWithService>>;
  let attacker: Server;
  let attackerUrl = '';
  before(async () => {
    target = await startWithService('csrf-target');
    // The attacker's page: another origin (another port on 127.0.0.1).
    const drainUrl = `${target.api}/api/services/${target.id}/drain`;
    const page = `<!doctype html><title>cute cats</title><script>
      window.result = fetch(${JSON.stringify(drainUrl)}, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' } })
        .then((r) => 'sent: ' + r.type, (e) => 'error: ' + e.message);
    </script>`;
    attacker = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(page));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}/`;
  });
  after(() => attacker?.close());

  it('a page from another origin running the no-cors drain fetch in Chromium cannot drain', { skip: browserSkip, timeout: 60_000 }, async (t) => {
    const context = await launchChromium();
    try {
      const page = await context.newPage();
      await page.goto(attackerUrl);
      const result = await page.evaluate(() => (globalThis as unknown as { result: Promise<string> }).result);
      t.diagnostic(`the page's fetch: ${result}`);
      // The request reached the agent (the refusal is in its audit log) and changed nothing.
      const refusal = await eventually(() => {
        const line = audits(target.agent).find((l) => l['outcome'] === 'refused' && l['route'] === 'drain');
        assert.ok(line, 'the agent logged the refused drain');
        return line;
      });
      assert.equal(refusal['status'], 403);
      assert.equal(refusal['id'], target.id);
      assert.match(String(refusal['reason']), /cross-origin|cross-site/);
      t.diagnostic(`audit line: ${JSON.stringify(refusal)}`);
      assert.equal(await target.status(), 0, 'the service is still ALIVE');
    } finally {
      await context.close();
    }
  });

  it('a request with a foreign Host (DNS rebinding) is refused; a loopback curl-style POST drains (202)', async () => {
    const drainUrl = `${target.api}/api/services/${target.id}/drain`;
    const port = new URL(target.api).port;
    const rebound = await post(drainUrl, { Host: `rebind.attacker.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /Host is not a name or address of this agent/);
    assert.equal(await target.status(), 0, 'still ALIVE');
    const line = audits(target.agent).find((l) => String(l['reason']).startsWith('Host'));
    assert.ok(line, 'the refusal is in the audit log');

    const local = await post(drainUrl);
    assert.equal(local.status, 202);
    assert.deepEqual(JSON.parse(local.body), { Message: `Service "victim" instance "${target.id}" set to DRAINING` });
    assert.equal(await target.status(), 4);
    const done = audits(target.agent).find((l) => l['outcome'] === 'done');
    assert.equal(done?.['authority'], 'loopback');
    // And it can be undone.
    assert.equal((await post(`${target.api}/api/services/${target.id}/undrain`)).status, 202);
    await eventually(async () => assert.equal(await target.status(), 0), { timeoutMs: 10_000, intervalMs: 100 });
  });
});

describe('API mutations with a token configured (SIDECAR_API_TOKEN)', () => {
  it('a missing token is 401, a wrong one 403, the right one 202; the token is never logged', async () => {
    const token = 'tok-' + 'x'.repeat(20) + '-42';
    const target = await startWithService('token-target', { SIDECAR_API_TOKEN: token });
    const drainUrl = `${target.api}/api/services/${target.id}/drain`;
    const missing = await post(drainUrl);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="sidecar"');
    assert.equal((await post(drainUrl, { Authorization: 'Bearer wrong' })).status, 403);
    assert.equal(await target.status(), 0, 'still ALIVE after both');
    assert.equal((await post(drainUrl, { Authorization: `Bearer ${token}` })).status, 202);
    assert.equal(await target.status(), 4);
    assert.ok(target.agent.logs.some((l) => /API mutations need the API token \(set from SIDECAR_API_TOKEN\)/.test(String(l['msg']))));
    assert.ok(!JSON.stringify(target.agent.logs).includes(token) && !target.agent.stderr().includes(token), 'never logged');
  });

  it('the UI\'s Undrain button asks for the token on 401, retries with it and keeps it in sessionStorage', { skip: browserSkip, timeout: 60_000 }, async (t) => {
    const token = 'ui-token-' + 'y'.repeat(16);
    const target = await startWithService('ui-target', { SIDECAR_API_TOKEN: token });
    assert.equal((await post(`${target.api}/api/services/${target.id}/drain`, { 'X-Sidecar-Token': token })).status, 202);
    const context = await launchChromium();
    try {
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void (dialog.type() === 'prompt' ? dialog.accept(token) : dialog.accept());
      });
      await page.goto(`${target.api}/ui/`);
      await page.getByRole('button', { name: 'Undrain' }).click();
      await eventually(async () => assert.notEqual(await target.status(), 4), { timeoutMs: 5000, intervalMs: 100 });
      assert.deepEqual(dialogs.map((d) => d.split(':')[0]), ['confirm', 'prompt']);
      assert.match(dialogs[1] ?? '', /needs its API token to undrain victim/);
      assert.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('sidecar-api-token')), token);
      const lines = audits(target.agent).filter((l) => l['route'] === 'undrain');
      assert.deepEqual(lines.map((l) => [l['outcome'], l['status']]), [['refused', 401], ['done', 202]]);
      await eventually(async () => assert.equal(await target.status(), 0), { timeoutMs: 10_000, intervalMs: 100 });
      await page.getByRole('button', { name: 'Drain' }).waitFor({ timeout: 10_000 });
      t.diagnostic(`dialogs: ${JSON.stringify(dialogs)}`);
    } finally {
      await context.close();
    }
  });
});
