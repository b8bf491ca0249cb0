/**
 * Issue #13 item 2, in a real browser: headless Chromium (Debian's, driven by playwright-core)
 * opens `/ui/` of one agent of a 2-agent cluster on loopback (real bin/sidecar processes):
 * - the page renders both members and the services of both hosts, and this host's
 *   ServicePort with its endpoint;
 * - a service whose health check starts failing turns red, with its reason (HTTP 503), within
 *   2 s of the agent's state changing, without a reload (pushed over /api/events);
 * - Drain and Undrain work from the buttons (through the API's mutation rules);
 * - a member that leaves stays visible, marked `left`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/free-port.js';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : 'chromium is not installed (run scripts/browser/install-chromium.sh)';
/** Where agent A's load balancer listens (any loopback address works on Linux). */
const PROXY_IP = '127.0.0.2';

type StateDoc = { Servers: Record<string, { Services: Record<string, { ID: string; Status: number }> } | undefined> };

async function instances(api: string, host: string): Promise<Array<{ ID: string; Status: number }>> {
  const doc = (await (await fetch(`${api}/api/state.json`)).json()) as StateDoc;
  return Object.values(doc.Servers[host]?.Services ?? {});
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

async function launchChromium(): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sidecar-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

describe('the operations UI in Chromium, on a 2-agent cluster', { skip, timeout: 120_000 }, () => {
  const agents: AgentProcess[] = [];
  let backend: Server;
  let healthStatus = 200;
  let a: AgentProcess;
  let b: AgentProcess;
  let apiA = '';
  let apiB = '';
  let webId = '';
  let servicePort = 0;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  /** Every request the page made, as `METHOD path`. */
  const pageRequests: string[] = [];

  before(async () => {
    backend = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? healthStatus : 200, { 'Content-Type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as { port: number }).port;
    servicePort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-ui-'));
    const fileA = join(dir, 'a.json');
    writeFileSync(
      fileA,
      JSON.stringify([
        {
          Service: { Name: 'web', Image: 'web:1', ProxyMode: 'http', Ports: [{ Type: 'tcp', Port: backendPort, ServicePort: servicePort }] },
          Check: { Type: 'HttpGet', Args: `http://127.0.0.1:${backendPort}/health` },
        },
      ]),
    );
    const fileB = join(dir, 'b.json');
    writeFileSync(fileB, JSON.stringify([{ Service: { Name: 'cache', Image: 'cache:2', Ports: [{ Type: 'tcp', Port: 20002, ServicePort: 20002 }] }, Check: { Type: 'AlwaysSuccessful' } }]));
    const [seed, other] = [await freePort(), await freePort()];
    const common = ['--discover', 'static', '--http-port', '0', '--advertise-ip', '127.0.0.1', '--cluster-ip', `127.0.0.1:${seed}`];
    a = startAgent(['--hostname', 'ui-a', '--static-config', fileA, '--bind-port', String(seed), '--proxy-bind-ip', PROXY_IP, '--proxy-workers', '1', ...common]);
    b = startAgent(['--hostname', 'ui-b', '--static-config', fileB, '--bind-port', String(other), '--no-proxy', ...common]);
    agents.push(a, b);
    [apiA, apiB] = [await a.apiUrl(), await b.apiUrl()];
    const web = await eventually(
      async () => {
        const found = (await instances(apiA, 'ui-a'))[0];
        assert.equal(found?.Status, 0, 'web ALIVE on ui-a');
        assert.equal((await instances(apiA, 'ui-b'))[0]?.Status, 0, 'cache from ui-b known on ui-a');
        return found;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    webId = web?.ID ?? '';
    context = await launchChromium();
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (req) => pageRequests.push(`${req.method()} ${new URL(req.url()).pathname}`));
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${apiA}/ui/`);
  });

  after(async () => {
    await context?.close();
    for (const agent of agents) if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
    backend?.close();
  });

  it('renders both members, the services of both hosts and this host\'s ServicePort', async () => {
    await page.waitForSelector('tr[data-member="ui-b"][data-state="alive"]', { timeout: 10_000 });
    await page.waitForSelector('tr[data-member="ui-a"][data-state="alive"]');
    assert.match((await page.textContent('#members-count')) ?? '', /^2 alive of 2/);
    await page.waitForSelector(`[data-service="web"] tr[data-instance="${webId}"][data-status="ALIVE"]`);
    await page.waitForSelector('[data-service="cache"] tr[data-status="ALIVE"]');
    const webRow = (await page.textContent(`tr[data-instance="${webId}"]`)) ?? '';
    assert.match(webRow, /ui-a/);
    assert.match(webRow, /HttpGet: healthy/);
    assert.match((await page.textContent('[data-service="cache"] tr[data-status="ALIVE"]')) ?? '', /checked on ui-b/);
    assert.equal(await page.textContent('#live'), 'live');
    // Traffic through the proxy shows up as a live rate on the endpoint.
    for (let i = 0; i < 20; i++) assert.equal(await get(`http://${PROXY_IP}:${servicePort}/`), 200);
    await page.waitForSelector(`[data-service-port="${servicePort}"] tr[data-endpoint="ui-a-${webId}"]`, { timeout: 5000 });
    await eventually(
      async () => {
        const cells = await page.$$eval(`[data-service-port="${servicePort}"] tr[data-endpoint] td`, (tds) => tds.map((td) => td.textContent));
        assert.ok(Number(cells[3]) > 0, `a request rate on the endpoint: ${cells.join(' | ')}`);
      },
      { timeoutMs: 5000, intervalMs: 100 },
    );
    assert.deepEqual(pageErrors, []);
  });

  it('a service that goes down turns red with its reason within 2 s, without a reload', async (t) => {
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    healthStatus = 503;
    await eventually(async () => assert.equal((await instances(apiA, 'ui-a'))[0]?.Status, 2, 'UNHEALTHY in the API'), { timeoutMs: 10_000, intervalMs: 20 });
    const changedAt = Date.now();
    const selector = `tr[data-instance="${webId}"][data-status="UNHEALTHY"]`;
    await page.waitForSelector(selector, { timeout: 2000 });
    t.diagnostic(`the page showed UNHEALTHY ${Date.now() - changedAt} ms after the API did`);
    const reason = (await page.textContent(`${selector} .reason`)) ?? '';
    assert.match(reason, /HTTP 503/);
    const colour = await page.evaluate((sel) => {
      const g = globalThis as unknown as { document: { querySelector(s: string): unknown }; getComputedStyle(e: unknown): { backgroundColor: string } };
      return g.getComputedStyle(g.document.querySelector(sel)).backgroundColor;
    }, `${selector} .badge`);
    assert.equal(colour, 'rgb(204, 31, 26)', 'the badge is red');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'no reload');
    await page.waitForSelector('#timeline li[data-kind="status"]');
    assert.match((await page.textContent('#timeline')) ?? '', /ALIVE → UNHEALTHY/);
  });

  it('Drain and Undrain work from the buttons', async () => {
    await page.click(`tr[data-instance="${webId}"] button[data-action="drain"]`);
    await eventually(async () => assert.equal((await instances(apiA, 'ui-a'))[0]?.Status, 4, 'DRAINING in the API'), { timeoutMs: 5000, intervalMs: 50 });
    await eventually(async () => assert.equal((await instances(apiB, 'ui-a'))[0]?.Status, 4, 'and on the other agent'), { timeoutMs: 5000, intervalMs: 50 });
    await page.waitForSelector(`tr[data-instance="${webId}"][data-status="DRAINING"]`, { timeout: 2000 });
    await page.waitForSelector('#timeline li[data-kind="drain"]');
    assert.match((await page.textContent('#notice')) ?? '', /set to DRAINING/);
    const audit = a.logs.find((l) => l['audit'] === true && l['route'] === 'drain');
    assert.equal(audit?.['outcome'], 'done');
    healthStatus = 200;
    await page.click(`tr[data-instance="${webId}"] button[data-action="undrain"]`);
    await page.waitForSelector(`tr[data-instance="${webId}"][data-status="ALIVE"]`, { timeout: 10_000 });
    assert.equal((await instances(apiA, 'ui-a'))[0]?.Status, 0);
  });

  it('a member that leaves stays visible, marked left', async () => {
    assert.equal(await b.stop(), 0);
    await page.waitForSelector('tr[data-member="ui-b"][data-state="left"]', { timeout: 10_000 });
    assert.match((await page.getAttribute('tr[data-member="ui-b"]', 'class')) ?? '', /departed/);
    assert.match((await page.textContent('#members-count')) ?? '', /^1 alive of 1 \(1 failed or departed\)/);
    await page.waitForSelector('#timeline li[data-kind="member"]');
    assert.match((await page.textContent('#timeline')) ?? '', /host ui-b left the cluster/);
    assert.deepEqual(pageErrors, []);
    // Pushed, not polled: one page load, one event stream, the two mutations (and the icon).
    assert.deepEqual(
      pageRequests.filter((r) => r !== 'GET /favicon.ico'),
      ['GET /ui/', 'GET /api/events', `POST /api/services/${webId}/drain`, `POST /api/services/${webId}/undrain`],
    );
  });
});

describe('the operations UI with an API token', { skip, timeout: 60_000 }, () => {
  it('Drain asks for the token on 401 and drains with it', async () => {
    const token = 'ui-test-token-0123456789';
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-ui-token-'));
    const file = join(dir, 'static.json');
    writeFileSync(file, JSON.stringify([{ Service: { Name: 'guarded', Image: 'img:1', Ports: [{ Type: 'tcp', Port: 20003, ServicePort: 20003 }] }, Check: { Type: 'AlwaysSuccessful' } }]));
    const agent = startAgent(
      ['--hostname', 'ui-t', '--discover', 'static', '--static-config', file, '--http-port', '0', '--advertise-ip', '127.0.0.1', '--no-proxy', '--bind-port', String(await freePort())],
      { SIDECAR_API_TOKEN: token },
    );
    const context = await launchChromium();
    try {
      const api = await agent.apiUrl();
      const svc = await eventually(
        async () => {
          const found = (await instances(api, 'ui-t'))[0];
          assert.equal(found?.Status, 0);
          return found;
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.type());
        void (dialog.type() === 'prompt' ? dialog.accept(token) : dialog.accept());
      });
      await page.goto(`${api}/ui/`);
      await page.click(`tr[data-instance="${svc?.ID}"] button[data-action="drain"]`);
      await page.waitForSelector(`tr[data-instance="${svc?.ID}"][data-status="DRAINING"]`, { timeout: 5000 });
      assert.deepEqual(dialogs, ['confirm', 'prompt']);
      const audits = agent.logs.filter((l) => l['audit'] === true).map((l) => [l['outcome'], l['status'], l['authority'] ?? l['reason']]);
      assert.deepEqual(audits, [
        ['refused', 401, 'token missing'],
        ['done', 202, 'token'],
      ]);
    } finally {
      await context.close();
      await agent.stop();
    }
  });
});
