/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core) against local mode: the same
 * api handler, deliver worker and emulators `npm start` runs, started as a child process. A receiver on loopback
 * answers 200 or 500 on demand.
 *
 * Screenshots of every view go to test-results/console/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ROOT, callApi, closeAll, consolePage, launchConsoleBrowser, startLocalMode, startReceiver, type LocalHerald, type Receiver } from './support/console-harness';

const HAS_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = join(ROOT, 'test-results', 'console');
const API_KEY = 'console-e2e-key-0123456789abcdef';
/** How long the UI may take to show what the worker did (retries are 1 s apart; the page polls every 2 s). */
const UI_WAIT_MS = 30_000;

if (!HAS_CHROMIUM) {
  console.warn(`[console e2e] SKIPPED: ${CHROMIUM} is missing. Install Chromium to run the browser tests: apt-get install chromium`);
}

// ---------------------------------------------------------------------------------------------------------------

describe.skipIf(!HAS_CHROMIUM)('web console in Chromium against local mode', () => {
  let receiver: Receiver;
  let herald: LocalHerald;
  let context: BrowserContext;
  let page: Page;
  let dataDir: string;
  let userDataDir: string;
  const problems: string[] = [];

  let endpointId = '';
  let firstSecret = '';

  const api = (method: string, path: string, body?: unknown) => callApi(herald.base, API_KEY, method, path, body);

  /** Publishes an event and returns its id and the id of its delivery to our endpoint. */
  async function publish(type: string, data: unknown): Promise<{ eventId: string; deliveryId: string }> {
    const { status, json } = await api('POST', '/v1/events', { type, data });
    expect(status).toBe(202);
    const delivery = (json.deliveries as { id: string; endpointId: string }[]).find((d) => d.endpointId === endpointId);
    if (delivery === undefined) throw new Error(`no delivery to ${endpointId} in ${JSON.stringify(json)}`);
    return { eventId: json.id as string, deliveryId: delivery.id };
  }

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Loads the console afresh at a route and waits until its content (not the placeholders) is on screen. */
  async function open(hash: string): Promise<void> {
    // Through about:blank, so the page really loads (a hash change alone would not); sessionStorage stays.
    await page.goto('about:blank');
    await page.goto(`${herald.base}/console/${hash}`);
    await page.waitForSelector('#view[aria-busy="false"] .load-slot[aria-busy="false"]');
  }

  async function text(selector: string): Promise<string> {
    return ((await page.locator(selector).first().textContent()) ?? '').trim();
  }

  /** Waits until the page itself shows `expected` in `selector` (the console updates it; the test only reads). */
  async function waitForText(selector: string, expected: string): Promise<void> {
    await expect.poll(() => text(selector), { timeout: UI_WAIT_MS, interval: 200 }).toBe(expected);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'herald-console-e2e-'));
    userDataDir = mkdtempSync(join(tmpdir(), 'herald-console-chromium-'));
    receiver = await startReceiver();
    herald = await startLocalMode(dataDir, API_KEY);
    context = await launchConsoleBrowser(userDataDir, problems);
    page = await consolePage(context, problems);
  }, 90_000);

  afterAll(() => closeAll({ context, herald, receiver, dirs: [dataDir, userDataDir] }), 30_000);

  it('serves the page with its security headers and asks for the API key', async () => {
    const response = await fetch(`${herald.base}/console/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");

    await page.goto(`${herald.base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await page.waitForSelector('#api-key');
    await shot('sign-in');

    // A wrong key: the API's own answer is shown.
    await page.fill('#api-key', 'not-the-key');
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('.error');
    expect(await text('.error-head')).toBe('HTTP 401 · unauthorized');
    expect(await text('.error-message')).toBe('missing or invalid API key');

    await page.fill('#api-key', API_KEY);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('h1:text-is("Endpoints")');
    await page.waitForSelector('.load-slot[aria-busy="false"]');
    expect(await page.evaluate("sessionStorage.getItem('herald.apiKey')")).toBe(API_KEY);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await text('.empty')).toBe('No endpoints yet. Create one to start delivering.');
  }, 60_000);

  it('shows a rejected endpoint exactly as the API wrote the error', async () => {
    await page.click('a:text-is("New endpoint")');
    await page.waitForSelector('#field-url');
    await page.fill('#field-url', 'ftp://example.com/hook');
    await page.click('button:text-is("Create endpoint")');
    await page.waitForSelector('.result .error');

    const direct = await api('POST', '/v1/endpoints', { url: 'ftp://example.com/hook', description: '', eventTypes: ['*'] });
    expect(direct.status).toBe(400);
    expect(await text('.result .error-head')).toBe(`HTTP 400 · ${direct.json.error.code}`);
    expect(await text('.result .error-message')).toBe(direct.json.error.message);
    const shown = await page.locator('.result .error-details li').allTextContents();
    expect(shown).toEqual((direct.json.error.details as { path: string; message: string }[]).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)));
    expect(await page.getAttribute('#field-url', 'aria-invalid')).toBe('true');
    await shot('create-endpoint-error');
  }, 60_000);

  it('creates an endpoint with the keyboard only and shows its secret once', async () => {
    await open('#/endpoints/new');
    // From the heading, Tab walks the form in order.
    await page.focus('#view-title');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('field-url');
    await page.keyboard.type(receiver.url);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Console e2e <b>receiver</b>');
    await page.keyboard.press('Tab'); // event types: '*'
    await page.keyboard.press('Tab'); // tenant
    await page.keyboard.press('Tab'); // timeout
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('field-retryPolicy');
    await page.keyboard.type('{"delays": ["1s", "1s"]}');
    await page.keyboard.press('Tab'); // headers
    await page.keyboard.press('Tab'); // create disabled
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Create endpoint');
    await page.keyboard.press('Enter');

    await page.waitForSelector('.notice .secret');
    endpointId = decodeURIComponent(new URL(page.url()).hash.replace('#/endpoints/', ''));
    expect(endpointId).toMatch(/^ep_/);
    firstSecret = await text('.notice .secret');
    expect(firstSecret).toMatch(/^whsec_/);
    expect(await text('.notice')).toContain('Herald will not show this secret again.');

    const stored = await api('GET', `/v1/endpoints/${endpointId}`);
    expect(stored.json.url).toBe(receiver.url);
    expect(stored.json.description).toBe('Console e2e <b>receiver</b>');
    expect(stored.json.retryPolicy).toEqual({ delays: ['1s', '1s'] });
    expect(stored.json.secret).toBeUndefined();

    // The description is text, not markup.
    await page.waitForSelector('.load-slot[aria-busy="false"]');
    expect(await page.locator('.facts b').count()).toBe(0);
    expect(await page.locator('.facts', { hasText: 'Console e2e <b>receiver</b>' }).count()).toBe(1);

    // Shown once: coming back to the endpoint does not show it again.
    await open(`#/endpoints/${endpointId}`);
    expect(await page.locator('.secret').count()).toBe(0);
  }, 60_000);

  it('shows a published event turn delivered, with its attempt in the timeline', async () => {
    await open(`#/endpoints/${endpointId}`);
    const { eventId, deliveryId } = await publish('user.created', { user: { id: 'u_1', name: 'Ada' } });
    // An endpoint lists a delivery from its first attempt (docs/design-round-4.md, the lean store); until the worker
    // made it, Refresh shows the list without it, so the user refreshes again, as this does.
    const row = `tr:has(a:text-is("${deliveryId}"))`;
    await expect
      .poll(
        async () => {
          await page.click('#refresh-deliveries');
          await page.waitForSelector('section[aria-labelledby="deliveries-title"] .load-slot[aria-busy="false"]');
          return page.locator(row).count();
        },
        { timeout: UI_WAIT_MS, interval: 500 },
      )
      .toBe(1);
    const badge = `${row} .badge`;
    await waitForText(badge, 'delivered');
    await shot('endpoint');

    await page.click(`a:text-is("${deliveryId}")`);
    await waitForText('#delivery-status', 'delivered');
    expect(await page.locator('.timeline > li').count()).toBe(1);
    expect(await text('.timeline > li h3')).toBe('Attempt 1 · HTTP 200');
    expect(JSON.parse(await text('pre.payload'))).toEqual({ user: { id: 'u_1', name: 'Ada' } });
    expect(await text('pre.payload')).toBe(JSON.stringify({ user: { id: 'u_1', name: 'Ada' } }, null, 2));
    await shot('delivery-delivered');

    const got = receiver.received.find((r) => r.headers['webhook-id'] === eventId);
    expect(got).toBeDefined();
  }, 60_000);

  it('follows a failing delivery to dead, lists it in dead letters and redelivers it', async () => {
    receiver.status = 500;
    const { deliveryId } = await publish('user.updated', { attempt: 'fails' });
    await open(`#/deliveries/${deliveryId}`);
    await waitForText('#delivery-status', 'dead');
    await expect.poll(() => page.evaluate("document.querySelectorAll('.timeline > li').length"), { timeout: UI_WAIT_MS, interval: 100 }).toBe(3);
    expect(await page.locator('.timeline > li h3').allTextContents()).toEqual(['Attempt 1 · HTTP 500', 'Attempt 2 · HTTP 500', 'Attempt 3 · HTTP 500']);
    const nexts = await page.locator('.timeline > li .fact:has(dt:text-is("Next")) dd').allTextContents();
    expect(nexts[0]).toMatch(/^Retry at /);
    expect(nexts[2]).toMatch(/^Dead \(exhausted\)/);
    // The response excerpt is shown as text.
    await page.click('.timeline > li:last-child summary');
    expect(await text('.timeline > li:last-child .excerpt pre')).toBe('<b>receiver failure</b>');
    await shot('delivery-dead');

    await open('#/dead');
    const row = `tr:has(a:text-is("${deliveryId}"))`;
    await page.waitForSelector(row);
    expect(await text(`${row} td[data-label="Attempts"]`)).toBe('3');
    await shot('dead-letters');

    receiver.status = 200;
    await page.click(`${row} button`);
    await page.waitForSelector(`${row} .success`);
    expect(await text(`${row} .success`)).toMatch(/^Queued; status pending\./);
    await page.click(`${row} .success a`);
    await waitForText('#delivery-status', 'delivered');
    await expect.poll(() => page.evaluate("document.querySelectorAll('.timeline > li').length"), { timeout: UI_WAIT_MS, interval: 100 }).toBe(4);
    expect(await text('.timeline > li:last-child h3')).toBe('Attempt 4 · HTTP 200');
    await shot('delivery-redelivered');
  }, 90_000);

  it('shows an event payload holding <script> as text', async () => {
    const payload = { html: '<script>window.__xss=1</script>', img: '<img src=x onerror="window.__xss=2">' };
    const { eventId, deliveryId } = await publish('user.xss', payload);
    await open(`#/events/${eventId}`);
    expect(JSON.parse(await text('pre.payload'))).toEqual(payload);
    expect(await text('pre.payload')).toContain('<script>window.__xss=1</script>');
    expect(await page.locator('pre.payload script, pre.payload img').count()).toBe(0);
    await shot('event-xss');

    await open(`#/deliveries/${deliveryId}`);
    expect(await text('pre.payload')).toContain('<script>window.__xss=1</script>');
    await waitForText('#delivery-status', 'delivered');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
  }, 60_000);

  it('runs every endpoint action and reports what it did', async () => {
    await open(`#/endpoints/${endpointId}`);

    // Send a test event.
    await page.click('#send-test');
    await page.waitForSelector('.action:has(#send-test) .success');
    const testResult = await text('.action:has(#send-test) .success');
    expect(testResult).toMatch(/^Sent test event evt_\S+ of type herald\.test\./);

    // Rotate the secret: two presses, the new secret shown once.
    await page.click('#rotate-secret');
    expect(await text('.action:has(#rotate-secret) .result')).toContain('Press again to confirm.');
    await page.click('#rotate-secret');
    await page.waitForSelector('.action:has(#rotate-secret) .secret');
    const rotated = await text('.action:has(#rotate-secret) .secret');
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(firstSecret);
    await shot('endpoint-rotated');

    // Recover: a delivery that died while the receiver failed is redelivered from the console.
    receiver.status = 500;
    const { deliveryId } = await publish('user.recovered', { n: 1 });
    await expect.poll(async () => (await api('GET', `/v1/deliveries/${deliveryId}`)).json.status, { timeout: UI_WAIT_MS, interval: 250 }).toBe('dead');
    receiver.status = 200;
    await open(`#/endpoints/${endpointId}`);
    const since = new Date(Date.now() - 3600_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    await page.fill(
      '#recover-since',
      `${since.getFullYear()}-${pad(since.getMonth() + 1)}-${pad(since.getDate())}T${pad(since.getHours())}:${pad(since.getMinutes())}`,
    );
    await page.click('#recover');
    await page.waitForSelector('.action:has(#recover) .success');
    expect(await text('.action:has(#recover) .success p')).toMatch(/^Recovered 1 failed delivery created since /);
    expect(await page.locator('.action:has(#recover) .success a').allTextContents()).toEqual([deliveryId]);
    await expect.poll(async () => (await api('GET', `/v1/deliveries/${deliveryId}`)).json.status, { timeout: UI_WAIT_MS, interval: 250 }).toBe('delivered');

    // Edit.
    await open(`#/endpoints/${endpointId}/edit`);
    await page.fill('#field-description', 'Edited from the console');
    await page.click('button:text-is("Save changes")');
    await page.waitForSelector('.notice');
    expect(await text('.notice')).toBe(`Saved endpoint ${endpointId}.`);
    await page.waitForSelector('.load-slot[aria-busy="false"]');
    expect(await text('.fact:has(dt:text-is("Description")) dd')).toBe('Edited from the console');

    // Disable: the endpoints view shows it with its reason; a test event is refused and the API's words are shown.
    await page.click('#toggle-endpoint');
    await page.waitForSelector('.notice:has-text("Endpoint disabled")');
    const disabled = await api('GET', `/v1/endpoints/${endpointId}`);
    expect(disabled.json.disabled).toBe(true);
    await page.waitForSelector('.load-slot[aria-busy="false"] #send-test');
    await page.click('#send-test');
    await page.waitForSelector('.action:has(#send-test) .error');
    const refused = await api('POST', `/v1/endpoints/${endpointId}/test`, {});
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await text('.action:has(#send-test) .error-head')).toBe(`HTTP ${refused.status} · ${refused.json.error.code}`);
    expect(await text('.action:has(#send-test) .error-message')).toBe(refused.json.error.message);

    await open('#/endpoints');
    const row = `tr:has(a:text-is("${receiver.url}"))`;
    expect(await text(`${row} td[data-label="Status"] .badge`)).toBe('Disabled');
    expect(await text(`${row} td[data-label="Status"] .reason`)).toBe(disabled.json.disabledReason);
    await shot('endpoints');

    // Enable again.
    await open(`#/endpoints/${endpointId}`);
    await page.click('#toggle-endpoint');
    await page.waitForSelector('.notice:has-text("Endpoint enabled")');
    expect((await api('GET', `/v1/endpoints/${endpointId}`)).json.disabled).toBe(false);
  }, 120_000);

  it('shows health over the last day: success rate and p95 latency from the attempts', async () => {
    const stats = await api('GET', `/v1/endpoints/${endpointId}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.json.attempts).toBeGreaterThan(0);
    await open(`#/endpoints/${endpointId}`);
    const rate = '.fact:has(dt:text-is("Success rate (24 h)")) .stat-slot';
    await page.waitForSelector(`${rate}[aria-busy="false"]`);
    const pct = Number((stats.json.successRate * 100).toFixed(1)).toString();
    expect(await text(rate)).toMatch(new RegExp(`^${pct.replace('.', '\\.')}% of \\d+$`));
    expect(await text('.fact:has(dt:text-is("p95 latency (24 h)")) .stat-slot')).toMatch(/^\d+ ms$/);
    // The last hour's receiver warnings, as the API computed them.
    const receiver = await text('#receiver-health');
    if (stats.json.lastHour.warnings.length === 0) expect(receiver).toMatch(/^(OK|—)$/);
    else expect(receiver).toMatch(/^Degraded /);
  }, 60_000);

  it('lists the event-type catalog and shows the deployment’s environment', async () => {
    const schema = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } };
    expect((await api('PUT', '/v1/event-types/user.created', { description: 'A user signed up', schema, example: { id: 'u_1' } })).status).toBe(201);
    await open('#/event-types');
    const row = page.locator('tr:has(code:text-is("user.created"))');
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('A user signed up');
    await row.locator('summary:text-is("Example")').click();
    expect(JSON.parse((await row.locator('pre').nth(1).textContent()) ?? '')).toEqual({ id: 'u_1' });
    await expect.poll(() => text('#environment'), { timeout: UI_WAIT_MS, interval: 100 }).toBe('development');
  }, 60_000);

  it('loads every view without layout shift and fits 320 px without sideways scrolling', async () => {
    // A dead letter on screen, so the dead-letter table itself is measured.
    receiver.status = 500;
    const { deliveryId } = await publish('user.dead', { reason: 'for the layout checks' });
    await expect.poll(async () => (await api('GET', `/v1/deliveries/${deliveryId}`)).json.status, { timeout: UI_WAIT_MS, interval: 250 }).toBe('dead');
    receiver.status = 200;
    const views = [
      '#/endpoints',
      `#/endpoints/${endpointId}`,
      `#/deliveries/${deliveryId}`,
      `#/events/${(await api('GET', `/v1/deliveries/${deliveryId}`)).json.eventId}`,
      '#/dead',
      '#/event-types',
    ];
    for (const width of [1100, 320]) {
      await page.setViewportSize({ width, height: 800 });
      for (const hash of views) {
        await open(hash);
        // Let late parts (the health numbers) arrive.
        // Polled from here: page.waitForFunction would re-evaluate its string with eval, which the console's CSP forbids.
        await expect.poll(() => page.evaluate(`document.querySelectorAll('.stat-slot[aria-busy="true"]').length`), { timeout: UI_WAIT_MS, interval: 100 }).toBe(0);
        const cls = await page.evaluate('window.__cls');
        expect({ hash, width, cls }).toEqual({ hash, width, cls: 0 });
        const overflow = await page.evaluate('Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)');
        expect({ hash, width, overflow }).toEqual({ hash, width, overflow: 0 });
      }
    }
    await open(`#/endpoints/${endpointId}`);
    await shot('endpoint-320');
    await open(`#/deliveries/${deliveryId}`);
    await shot('delivery-320');
    await open('#/dead');
    expect(await page.locator(`tr:has(a:text-is("${deliveryId}"))`).count()).toBe(1);
    await shot('dead-letters-320');
    await page.setViewportSize({ width: 1100, height: 900 });
  }, 90_000);

  it('is usable with the keyboard: visible focus, links reached with Tab, Enter follows them', async () => {
    await open('#/endpoints');
    await page.keyboard.press('Tab');
    const skip = await page.evaluate('document.activeElement?.textContent');
    expect(skip).toBe('Skip to content');
    let found = false;
    for (let i = 0; i < 30 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.evaluate('document.activeElement?.textContent')) === receiver.url;
    }
    expect(found).toBe(true);
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    // The new view replaces the list after the hash changes: wait for that (the old list's slot is settled too).
    await expect.poll(() => new URL(page.url()).hash, { timeout: UI_WAIT_MS }).toBe(`#/endpoints/${endpointId}`);
    await expect.poll(() => page.evaluate('document.activeElement?.id'), { timeout: UI_WAIT_MS }).toBe('view-title');
    expect(await text('#view-title')).toBe(`Endpoint ${endpointId}`);
  }, 60_000);

  it('forgets the key on request and ran without script errors or CSP violations', async () => {
    await open('#/endpoints');
    await page.click('#forget-key');
    await page.waitForSelector('#api-key');
    expect(await page.evaluate("sessionStorage.getItem('herald.apiKey')")).toBeNull();
    // The only console errors allowed are the browser's notes about the 4xx answers the tests provoked on purpose.
    expect(problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p))).toEqual([]);
  }, 30_000);
});
