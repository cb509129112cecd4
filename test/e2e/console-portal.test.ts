/**
 * The console's overview, portal mode and the operator fixes of issue 14, in Chromium against local mode (`npm start`
 * as a child process): the overview charts outcomes and lists failing endpoints first; a tenant's session link shows
 * that tenant only, lets it pick event types from the catalog, and neither edited URLs nor the API called with the
 * session's token reach another tenant's data; the sign-in page says where the key is; the dead-letters table fits
 * 1280 and 1600 px wide.
 *
 * Screenshots (1280 px and 390 px) go to test-results/console/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, callApi, launchConsoleBrowser, ROOT, startLocalMode, startReceiver, closeAll, consolePage, type LocalHerald, type Receiver } from './support/console-harness';

const HAS_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = join(ROOT, 'test-results', 'console');
const API_KEY = 'console-portal-e2e-key-0123456789';
const UI_WAIT_MS = 30_000;

describe.skipIf(!HAS_CHROMIUM)('console overview, portal mode and operator fixes in Chromium', () => {
  let receiver: Receiver;
  let herald: LocalHerald;
  let context: BrowserContext;
  let page: Page;
  let dataDir: string;
  let userDataDir: string;
  const problems: string[] = [];
  const acme = { endpoint: '', delivery: '', event: '' };
  const globex = { endpoint: '', delivery: '', event: '' };

  const api = (method: string, path: string, body?: unknown, token = API_KEY) => callApi(herald.base, token, method, path, body);

  async function seed(tenant: string, into: typeof acme, path: string) {
    const ep = await api('POST', '/v1/endpoints', { url: `${receiver.url}${path}`, tenant, description: `${tenant} hooks`, retryPolicy: { maxAttempts: 1 } });
    expect(ep.status).toBe(201);
    const published = await api('POST', '/v1/events', { type: 'invoice.paid', tenant, data: { tenant } });
    expect(published.status).toBe(202);
    Object.assign(into, { endpoint: ep.json.id, event: published.json.id, delivery: published.json.deliveries[0].id });
  }

  async function shot(name: string, width: number) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }

  /** Waits (polling from Node: the console's CSP rightly blocks page-side polling) until nothing is loading. */
  async function settled() {
    await page.waitForSelector('#view[aria-busy="false"]');
    await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: UI_WAIT_MS, interval: 200 }).toBe(0);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'herald-portal-e2e-'));
    userDataDir = mkdtempSync(join(tmpdir(), 'herald-portal-chromium-'));
    receiver = await startReceiver();
    receiver.status = 500;
    herald = await startLocalMode(dataDir, API_KEY);
    await seed('acme', acme, '');
    await seed('globex', globex, '');
    for (const [type, description] of [
      ['invoice.paid', 'An invoice was paid'],
      ['invoice.voided', 'An invoice was voided'],
      ['customer.created', 'A customer signed up'],
    ]) {
      expect((await api('PUT', `/v1/event-types/${type}`, { description })).status).toBe(201);
    }
    context = await launchConsoleBrowser(userDataDir, problems, { width: 1280, height: 900 });
    page = await consolePage(context, problems, /status of 40[134]/);
  }, 90_000);

  afterAll(() => closeAll({ context, herald, receiver, dirs: [dataDir, userDataDir] }), 30_000);

  it('the sign-in page says where the key is', async () => {
    await page.goto(`${herald.base}/console/`);
    await page.waitForSelector('#api-key');
    const hint = (await page.locator('.key-where').textContent()) ?? '';
    expect(hint).toContain('npm start');
    expect(hint).toContain('.herald-data/dev-api-key');
    expect(hint).toContain('Secrets Manager');
    expect(hint).toContain('ApiKeySecretArn');
    await shot('sign-in-key-hint', 1280);
    await shot('sign-in-key-hint', 390);
  }, 60_000);

  it('the dead-letters table fits 1280 and 1600 px: Redeliver is on screen, nothing scrolls sideways', async () => {
    // Both deliveries fail once with maxAttempts 1: dead at once.
    await expect.poll(async () => (await api('GET', '/v1/deliveries?status=dead')).json?.data?.length ?? 0, { timeout: UI_WAIT_MS, interval: 300 }).toBe(2);
    await page.fill('#api-key', API_KEY);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('h1:text-is("Endpoints")');
    for (const width of [1280, 1600]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${herald.base}/console/#/dead`);
      await page.waitForSelector('table.data button:text-is("Redeliver")');
      await settled();
      const fit = (await page.evaluate(`(() => {
        const wrap = document.querySelector('.table-wrap');
        const buttons = [...document.querySelectorAll('table.data button')].map((b) => b.getBoundingClientRect().right);
        return { scroll: wrap.scrollWidth - wrap.clientWidth, rightmost: Math.max(...buttons), viewport: window.innerWidth, page: document.documentElement.scrollWidth - window.innerWidth };
      })()`)) as { scroll: number; rightmost: number; viewport: number; page: number };
      expect(fit.scroll, `table scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
      expect(fit.page).toBeLessThanOrEqual(0);
      expect(fit.rightmost).toBeLessThanOrEqual(fit.viewport);
      await shot('dead-letters', width);
    }
  }, 90_000);

  it('the overview charts deliveries by outcome over the hour and the day, lists failing endpoints first with sparklines, and finds by id', async () => {
    receiver.status = 200;
    const ok = await api('POST', '/v1/endpoints', { url: receiver.url, tenant: 'initech', description: 'initech hooks' });
    expect(ok.status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await api('POST', '/v1/events', { type: 'invoice.paid', tenant: 'initech', data: { i } })).status).toBe(202);
    await expect.poll(async () => (await api('GET', `/v1/endpoints/${ok.json.id}/stats`)).json.succeeded, { timeout: UI_WAIT_MS, interval: 300 }).toBe(3);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto('about:blank');
      await page.goto(`${herald.base}/console/#/overview`);
      await page.waitForSelector('svg.chart');
      await settled();
      expect(await page.locator('svg.chart').first().getAttribute('aria-label')).toBe('Last hour, per minute: 3 delivered, 2 failed attempts, 2 dead, 0 canceled');
      expect(await page.locator('svg.chart').nth(1).getAttribute('aria-label')).toBe('Last day, per 15 minutes: 3 delivered, 2 failed attempts, 2 dead, 0 canceled');
      expect(await page.locator('svg.chart').first().locator('rect.bar-delivered').count()).toBeGreaterThan(0);
      expect(await page.locator('svg.chart').first().locator('rect.bar-dead').count()).toBeGreaterThan(0);
      // Failing endpoints first: acme's and globex's (each failed its one attempt), never initech's healthy one.
      const failing = await page.locator('table.data tbody tr').allTextContents();
      expect(failing).toHaveLength(2);
      expect(failing.join(' ')).not.toContain('initech');
      await expect.poll(() => page.locator('table.data svg.sparkline').count(), { timeout: UI_WAIT_MS }).toBe(2);
      const figures = (await page.locator('.figures').textContent()) ?? '';
      expect(figures).toContain('Failing endpoints2of 3');
      expect(figures).toContain('Dead letters2');
      expect(figures).toMatch(/Waiting on the queues\d+\d+ ready · \d+ on a timer · \d+ in flight/);
      // Nothing wider than the page.
      expect(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
      expect(await page.evaluate('window.__cls')).toBeLessThan(0.05);
      await shot('overview', width);
    }

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.fill('#find-id', acme.delivery);
    await page.press('#find-id', 'Enter');
    await page.waitForSelector(`h1:has-text("${acme.delivery}")`);
    await page.goto(`${herald.base}/console/#/overview`);
    await page.waitForSelector('#find-id');
    await page.fill('#find-id', acme.event);
    await page.click('form[role="search"] button');
    await page.waitForSelector(`h1:has-text("${acme.event}")`);
    await page.goto(`${herald.base}/console/#/endpoints`);
    await page.waitForSelector('h1:text-is("Endpoints")');
    await settled();
    await expect.poll(() => page.locator('table.data svg.sparkline').count(), { timeout: UI_WAIT_MS }).toBe(3);
    await shot('endpoints-sparklines', 1280);
    await shot('endpoints-sparklines', 390);
  }, 120_000);

  it('a portal link opens the console for its tenant only, titled, with the token gone from the address bar', async () => {
    const minted = await api('POST', '/v1/tenants/acme/portal-sessions', { title: 'Acme webhooks' });
    expect(minted.status).toBe(201);
    // A fresh tab: the portal user has no API key.
    await page.evaluate('sessionStorage.clear()');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('about:blank');
    await page.goto(minted.json.url);
    await page.waitForSelector('h1:text-is("Endpoints")');
    await settled();
    expect(new URL(page.url()).hash).toBe('#/endpoints');
    expect(await page.locator('#brand-name').textContent()).toBe('Acme webhooks');
    expect(await page.locator('#environment').isVisible()).toBe(false);
    expect(await page.locator('#portal-tenant').textContent()).toContain('acme');
    expect(await page.locator('a[data-nav="dead"]').isVisible()).toBe(false);
    expect(await page.locator('a[data-nav="overview"]').isVisible()).toBe(false);
    expect(await page.locator('#tenant-filter').count()).toBe(0);
    const listed = await page.locator('table.data tbody tr').allTextContents();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toContain('acme hooks');
    await shot('portal-endpoints', 1280);
    await shot('portal-endpoints', 390);

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${herald.base}/console/#/endpoints/${acme.endpoint}`);
    await page.waitForSelector('h1');
    await settled();
    await shot('portal-endpoint', 1280);
    await shot('portal-endpoint', 390);
  }, 90_000);

  it('a portal user creates an endpoint by picking event types from the catalog; it belongs to the tenant', async () => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto('about:blank');
      await page.goto(`${herald.base}/console/#/endpoints/new`);
      await page.waitForSelector('.catalog-picker[aria-busy="false"] input[type="checkbox"]');
      await shot('portal-new-endpoint', width);
    }
    expect(await page.locator('#field-tenant').inputValue()).toBe('acme');
    expect(await page.locator('#field-tenant').isDisabled()).toBe(true);
    const types = await page.locator('.catalog-item code').allTextContents();
    expect(types).toEqual(expect.arrayContaining(['invoice.paid', 'invoice.voided', 'customer.created']));
    await page.fill('#field-url', `${receiver.url}/picked`);
    await page.check('.catalog-item:has(code:text-is("invoice.paid")) input');
    await page.check('.catalog-item:has(code:text-is("customer.created")) input');
    expect(await page.locator('#field-eventTypes').inputValue()).toBe('invoice.paid, customer.created');
    await page.uncheck('.catalog-item:has(code:text-is("invoice.paid")) input');
    expect(await page.locator('#field-eventTypes').inputValue()).toBe('customer.created');
    await page.click('button:text-is("Create endpoint")');
    await page.waitForSelector('h1:has-text("ep_")');
    const id = (await page.locator('h1').textContent())!.match(/ep_[0-9A-Z]+/)![0];
    const created = await api('GET', `/v1/endpoints/${id}`);
    expect(created.json).toMatchObject({ tenant: 'acme', eventTypes: ['customer.created'], url: `${receiver.url}/picked` });
    await shot('portal-endpoint-created', 1280);
  }, 60_000);

  it('editing the URL to another tenant’s endpoint, delivery or event shows not found; dead letters are not there', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    for (const [hash, code] of [
      [`#/endpoints/${globex.endpoint}`, 'HTTP 404 · not_found'],
      [`#/deliveries/${globex.delivery}`, 'HTTP 404 · not_found'],
      [`#/events/${globex.event}`, 'HTTP 404 · not_found'],
    ] as const) {
      await page.goto('about:blank');
      await page.goto(`${herald.base}/console/${hash}`);
      await page.waitForSelector('.error-head', { timeout: UI_WAIT_MS });
      expect(await page.locator('.error-head').first().textContent()).toBe(code);
      expect(await page.content()).not.toContain('globex hooks');
    }
    await page.goto('about:blank');
    await page.goto(`${herald.base}/console/#/dead`);
    await page.waitForSelector('h1:text-is("Not found")');
    await page.goto('about:blank');
    await page.goto(`${herald.base}/console/#/overview`);
    await page.waitForSelector('h1:text-is("Not found")');
    await shot('portal-foreign-endpoint', 1280);
  }, 60_000);

  it('the token taken from the page cannot reach another tenant through the API, publish, or mint sessions', async () => {
    const token = (await page.evaluate("sessionStorage.getItem('herald.apiKey')")) as string;
    expect(token).toMatch(/^hps_/);
    expect((await api('GET', `/v1/endpoints/${globex.endpoint}`, undefined, token)).status).toBe(404);
    expect((await api('GET', `/v1/deliveries/${globex.delivery}`, undefined, token)).status).toBe(404);
    expect((await api('POST', `/v1/deliveries/${globex.delivery}/retry`, undefined, token)).status).toBe(404);
    expect((await api('DELETE', `/v1/endpoints/${globex.endpoint}`, undefined, token)).status).toBe(404);
    expect((await api('GET', '/v1/endpoints?tenant=globex', undefined, token)).status).toBe(403);
    const list = await api('GET', '/v1/endpoints', undefined, token);
    expect(new Set(list.json.data.map((e: { tenant: string }) => e.tenant))).toEqual(new Set(['acme']));
    expect((await api('GET', '/v1/overview', undefined, token)).status).toBe(403);
    expect((await api('POST', '/v1/events', { type: 'x', tenant: 'acme', data: {} }, token)).status).toBe(403);
    expect((await api('POST', '/v1/tenants/globex/portal-sessions', {}, token)).status).toBe(403);
    expect((await api('GET', '/v1/deliveries?status=dead', undefined, token)).status).toBe(403);
    // Its own tenant works.
    expect((await api('GET', `/v1/endpoints/${acme.endpoint}`, undefined, token)).status).toBe(200);
  }, 30_000);

  it('a tampered link ends in "session ended", not the API key form', async () => {
    await page.goto('about:blank');
    
    await page.goto(`${herald.base}/console/#portal=hps_tampered.token`);
    await page.waitForSelector('h1:text-is("This session has ended")');
    expect(await page.locator('#api-key').count()).toBe(0);
    await shot('portal-ended', 390);
    expect(problems).toEqual([]);
  }, 30_000);
});
