// @ts-check
/**
 * Herald console: a small single-page app over Herald's public HTTP API (same origin, `/v1/...`).
 *
 * Rules this file keeps:
 * - Every value that came from the API (event payloads, URLs, response excerpts, error messages) reaches the
 *   page through `textContent` / text nodes / `setAttribute`, never through HTML parsing, so a payload holding
 *   `<script>` is shown as text.
 * - The API key lives in `sessionStorage` only (this tab, until it closes or the person forgets it).
 * - No layout shift while loading: placeholders reserve the space of what they stand for, sections that load
 *   later sit below everything that is already on screen, and live updates change text in place.
 * - Keyboard first: real links and buttons, labelled form controls, focus moved to the heading on navigation.
 */

const KEY_STORAGE = 'herald.apiKey';
const PORTAL_STORAGE = 'herald.portal';

const PAGE_SIZE = 20;
const POLL_MS = 2000;
const STATS_CONCURRENCY = 4;
const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'dead', 'canceled', 'skipped'];
const FINAL_STATUSES = new Set(['delivered', 'dead', 'canceled', 'skipped']);

/** The API root: the page lives at `<root>console/`, the API at `<root>v1/...` (works under a stage prefix too). */
const API_ROOT = location.pathname.replace(/console(\/(index\.html)?)?$/, '');

const viewRoot = /** @type {HTMLElement} */ (document.getElementById('view'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers: the only way this file creates content.

/**
 * Creates an element. `props`: `class`, `text` (textContent), `on<event>` listeners, `dataset`, anything else
 * becomes an attribute (`true` = present, `false`/`null`/`undefined` = absent). Children: nodes or strings
 * (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...any} children
 * @returns {HTMLElement}
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = String(value);
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  appendAll(node, children);
  return node;
}

/**
 * @param {Node} parent
 * @param {any[]} children
 */
function appendAll(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A hash link inside the console; path segments are URI-encoded. */
function link(text, ...segments) {
  return el('a', { href: hashOf(...segments) }, text);
}

/** @param {...string} segments */
function hashOf(...segments) {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element with attributes (never inline styles: the CSP allows none; colours come from classes in styles.css).
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...(Element | null)} children
 */
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

/**
 * A success-rate sparkline over the stats buckets (oldest first): a line through the hours that had attempts, gaps
 * where there was no traffic, a dot for a lone hour. Labelled for screen readers; it holds no text, so the cell's text
 * stays the figure.
 * @param {{attempts: number, succeeded: number}[]} buckets
 */
function sparkline(buckets) {
  const w = 72;
  const h = 20;
  const step = buckets.length > 1 ? (w - 4) / (buckets.length - 1) : 0;
  const yOf = (b) => (h - 3 - (b.succeeded / b.attempts) * (h - 6)).toFixed(1);
  /** @type {string[][]} */
  const runs = [];
  let run = [];
  buckets.forEach((b, i) => {
    if (b.attempts === 0) {
      if (run.length > 0) runs.push(run);
      run = [];
      return;
    }
    run.push(`${(2 + i * step).toFixed(1)},${yOf(b)}`);
  });
  if (run.length > 0) runs.push(run);
  const active = buckets.filter((b) => b.attempts > 0);
  const attempts = active.reduce((n, b) => n + b.attempts, 0);
  const succeeded = active.reduce((n, b) => n + b.succeeded, 0);
  const label =
    active.length === 0
      ? 'Success per hour, last 24 hours: no attempts'
      : `Success per hour, last 24 hours: ${active.length} hours with attempts, ${succeeded} of ${attempts} succeeded, lowest hour ${Math.round(Math.min(...active.map((b) => b.succeeded / b.attempts)) * 100)}%`;
  return svg(
    'svg',
    { class: 'sparkline', viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-label': label },
    svg('line', { class: 'spark-base', x1: 0, y1: h - 3, x2: w, y2: h - 3 }),
    ...runs.filter((points) => points.length > 1).map((points) => svg('polyline', { class: 'spark-line', points: points.join(' ') })),
    // A dot for an hour alone (no line through it), and a red one for every hour with more failures than successes.
    ...buckets.map((b, i) => {
      if (b.attempts === 0) return null;
      const bad = b.succeeded / b.attempts < 0.5;
      const alone = (buckets[i - 1]?.attempts ?? 0) === 0 && (buckets[i + 1]?.attempts ?? 0) === 0;
      return bad || alone ? svg('circle', { class: bad ? 'spark-dot spark-bad' : 'spark-dot', cx: (2 + i * step).toFixed(1), cy: yOf(b), r: 2.2 }) : null;
    }),
  );
}

/** Formats an ISO-8601 time for people, keeping the exact value in `datetime` and `title`. */
function timeEl(iso) {
  if (iso === undefined || iso === null || iso === '') return el('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('span', {}, String(iso));
  return el('time', { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString());
}

/**
 * Text for an outcome. The API writes a delivery's `lastOutcome` as `{kind, statusCode}` and an attempt's as
 * `outcome: kind` plus `statusCode`; both go through here.
 * @param {any} outcome
 * @param {number | null} [statusCode]
 */
function outcomeText(outcome, statusCode) {
  const kind = typeof outcome === 'string' ? outcome : outcome && typeof outcome === 'object' ? outcome.kind : undefined;
  if (kind === undefined || kind === null) return '—';
  const status = statusCode ?? (outcome && typeof outcome === 'object' ? (outcome.statusCode ?? outcome.status) : undefined);
  const names = {
    timeout: 'Timed out',
    connect_refused: 'Connection refused',
    connect_reset: 'Connection reset',
    dns: 'DNS lookup failed',
    tls: 'TLS error',
    invalid_response: 'Invalid response',
    blocked: 'Blocked target address',
  };
  if (kind === 'http') return status === undefined || status === null ? 'HTTP response' : `HTTP ${status}`;
  return names[kind] ?? String(kind);
}

const RETRY_BASIS = { backoff: 'exponential backoff', delays: 'fixed delay', retry_after: 'the receiver’s Retry-After' };

/** The decision after an attempt (`{kind, at?, basis?, reason?, detail?, disableEndpoint?}`) as text and time. */
function nextNode(next) {
  if (!next || typeof next !== 'object') return el('span', { class: 'muted' }, '—');
  switch (next.kind) {
    case 'delivered':
      return el('span', {}, 'Delivered');
    case 'retry':
      return el('span', {}, 'Retry at ', timeEl(next.at), next.basis ? ` (${RETRY_BASIS[next.basis] ?? String(next.basis)})` : '');
    case 'dead':
      return el('span', {}, `Dead${next.reason ? ` (${next.reason})` : ''}${next.detail ? `: ${next.detail}` : ''}`);
    case 'canceled':
      return el('span', {}, `${next.disableEndpoint ? 'Canceled; the endpoint was disabled' : 'Canceled'}${next.detail ? `: ${next.detail}` : ''}`);
    default:
      return el('span', {}, String(next.kind));
  }
}

function statusBadge(status) {
  return el('span', { class: `badge badge-${DELIVERY_STATUSES.includes(status) ? status : 'other'}` }, String(status ?? '—'));
}

/** A definition list from `[term, value]` pairs; values are nodes or text. */
function defList(rows, className = 'facts') {
  return el(
    'dl',
    { class: className },
    rows.map(([term, value]) => el('div', { class: 'fact' }, el('dt', {}, term), el('dd', {}, value ?? el('span', { class: 'muted' }, '—')))),
  );
}

function prettyJson(value) {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A table that becomes a stack of cards at narrow widths (each cell labelled by its column through `data-label`).
 * @param {string[]} columns
 * @param {Node[]} rows `<tr>` elements from `row()`
 * @param {string} caption
 */
function table(columns, rows, caption) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'data' },
      el('caption', { class: 'visually-hidden' }, caption),
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, rows),
    ),
  );
}

/**
 * @param {string[]} columns
 * @param {any[]} cells
 */
function row(columns, cells) {
  return el(
    'tr',
    {},
    cells.map((cell, i) => el('td', { 'data-label': columns[i] }, cell ?? el('span', { class: 'muted' }, '—'))),
  );
}

/** Placeholder rows that reserve the height of a loading table. */
function skeletonTable(rows = 3) {
  return el(
    'div',
    { class: 'skeleton-table', 'aria-hidden': 'true' },
    Array.from({ length: rows }, () => el('div', { class: 'skeleton skeleton-row' })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// API client.

class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when Herald could not be reached
   * @param {string} code
   * @param {string} message
   * @param {{path?: string, message?: string}[]} details
   */
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Calls the Herald API with the stored key. Resolves with the parsed JSON body; rejects with an ApiError carrying
 * the API's own `{error: {code, message, details}}` when it wrote one.
 * @param {string} method
 * @param {string} path relative to the API root, e.g. `v1/endpoints`
 * @param {{body?: any, query?: Record<string, string | number | undefined>, signal?: AbortSignal}} [options]
 */
async function api(method, path, options = {}) {
  const url = new URL(API_ROOT + path, location.origin);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  }
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError(0, 'network_error', `Could not reach Herald: ${error instanceof Error ? error.message : String(error)}`, []);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const apiError = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
    if (apiError) {
      throw new ApiError(
        response.status,
        String(apiError.code ?? `http_${response.status}`),
        String(apiError.message ?? ''),
        Array.isArray(apiError.details) ? apiError.details : [],
      );
    }
    throw new ApiError(response.status, `http_${response.status}`, text.slice(0, 500) || response.statusText, []);
  }
  return body;
}

/** How an API error looks on the page: status and code, the API's message, and each detail as it was written. */
function errorBox(error) {
  if (!(error instanceof ApiError)) {
    return el('div', { class: 'error' }, el('p', {}, `Unexpected error: ${error instanceof Error ? error.message : String(error)}`));
  }
  const head = error.status === 0 ? 'Network error' : `HTTP ${error.status} · ${error.code}`;
  return el(
    'div',
    { class: 'error', dataset: { code: error.code } },
    el('p', { class: 'error-head' }, head),
    el('p', { class: 'error-message' }, error.message),
    error.details.length > 0
      ? el(
          'ul',
          { class: 'error-details' },
          error.details.map((d) =>
            el('li', {}, d.path ? el('code', {}, String(d.path)) : null, d.path ? ': ' : '', String(d.message ?? '')),
          ),
        )
      : null,
  );
}

/** A live region that reports what an action did (or the API's error). Its space is reserved by CSS. */
function resultRegion() {
  return el('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
}

function showResult(region, ...nodes) {
  region.replaceChildren(el('div', { class: 'success' }, ...nodes));
}

function showError(region, error) {
  region.replaceChildren(errorBox(error));
}

/**
 * Runs `action` on click while marking the button busy (aria-disabled, so it keeps focus), and reports a thrown
 * error into `region` unless the view was left.
 * @param {HTMLElement} button
 * @param {HTMLElement} region
 * @param {() => Promise<void>} action
 */
function wireAction(button, region, action) {
  let busy = false;
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    region.replaceChildren(el('p', { class: 'muted' }, 'Working…'));
    try {
      await action();
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'AbortError')) {
        if (error instanceof ApiError && error.status === 401) forgetKey(error);
        else showError(region, error);
      }
    } finally {
      busy = false;
      button.removeAttribute('aria-disabled');
    }
  });
}

/** A one-time secret with a copy button and the warning that it is not shown again. */
function secretNotice(secret, intro) {
  const code = el('code', { class: 'secret', tabindex: '0' }, String(secret));
  const copyStatus = el('span', { class: 'muted copy-status', role: 'status' });
  const copy = el('button', { type: 'button', class: 'secondary' }, 'Copy secret');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(String(secret));
      copyStatus.textContent = 'Copied.';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      copyStatus.textContent = 'Selected: copy it with your keyboard.';
    }
  });
  return el(
    'div',
    { class: 'secret-notice' },
    el('p', {}, intro),
    el('p', {}, el('strong', {}, 'Copy it now: Herald will not show this secret again.')),
    code,
    el('p', { class: 'actions-row' }, copy, copyStatus),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// View lifecycle and routing.

/**
 * @typedef {{signal: AbortSignal, alive: () => boolean, every: (ms: number, fn: () => Promise<void> | void) => void,
 *   onParams?: (params: URLSearchParams) => void}} ViewContext
 */

/** @type {{controller: AbortController, timers: number[], path: string, ctx: ViewContext} | null} */
let current = null;

/** One notice handed from an action to the next view (e.g. a new endpoint's secret); shown once, never stored. */
/** @type {Node | null} */
let pendingNotice = null;

/** Ends the current view (aborting its requests and timers) and starts a new one. */
function startView(path) {
  if (current) {
    current.controller.abort();
    for (const t of current.timers) clearInterval(t);
  }
  const controller = new AbortController();
  /** @type {number[]} */
  const timers = [];
  /** @type {ViewContext} */
  const ctx = {
    signal: controller.signal,
    alive: () => !controller.signal.aborted,
    every: (ms, fn) => {
      let running = false;
      const id = window.setInterval(async () => {
        if (running || document.hidden) return;
        running = true;
        try {
          await fn();
        } catch {
          // A failed background refresh keeps the last good state on screen; the next tick tries again.
        } finally {
          running = false;
        }
      }, ms);
      timers.push(id);
    },
  };
  current = { controller, timers, path, ctx };
  return ctx;
}

/** The first view of a page load leaves focus where the browser put it (so Tab reaches the skip link first). */
let firstView = true;

/** Replaces the view with a heading and content; moves focus to the heading when navigating within the app. */
function setView(title, nodes, { focus = true } = {}) {
  const heading = el('h1', { tabindex: '-1', id: 'view-title' }, title);
  viewRoot.replaceChildren(heading, ...nodes.filter(Boolean));
  viewRoot.setAttribute('aria-busy', 'false');
  document.title = `${title} · ${portalSession()?.title || (portalSession() ? 'Webhooks' : 'Herald console')}`;
  if (focus && !firstView) heading.focus({ preventScroll: false });
  firstView = false;
  return heading;
}

/** Shows or hides the navigation without changing the header's size (hidden = invisible, still taking its space). */
function showNav(visible) {
  nav.classList.toggle('invisible', !visible);
  nav.toggleAttribute('inert', !visible);
}

/**
 * After a list reloads in place (paging, filter), the link that had focus is gone; give focus to the list's heading
 * so keyboard users continue from there instead of from the top of the page.
 * @param {HTMLElement | null} heading
 */
function refocus(heading) {
  const active = document.activeElement;
  if (heading && (!active || active === document.body || !active.isConnected)) heading.focus();
}

/** Renders a load failure in `slot`; a refused key sends the person back to the key form. */
function loadFailed(ctx, slot, error) {
  if (!ctx.alive()) return;
  if (error instanceof ApiError && error.status === 401) {
    forgetKey(error);
    return;
  }
  slot.setAttribute('aria-busy', 'false');
  slot.replaceChildren(errorBox(error));
}

function forgetKey(reason) {
  const wasPortal = portalSession() !== null;
  sessionStorage.removeItem(KEY_STORAGE);
  sessionStorage.removeItem(PORTAL_STORAGE);
  applyPortalChrome();
  if (wasPortal) renderPortalEnded();
  else renderKeyForm(reason);
}

/**
 * The portal session this tab runs under, or null for the operator's console.
 * @returns {{tenant: string, title: string | null, expiresAt: string} | null}
 */
function portalSession() {
  try {
    const raw = sessionStorage.getItem(PORTAL_STORAGE);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/**
 * Opens a portal session link (`/console/#portal=<token>`): the token becomes this tab's credential and leaves the
 * address bar and the history at once; the session's tenant, title and expiry are read from the API
 * (`GET /v1/session`). Resolves false when the token is refused (expired, tampered, or not a portal session).
 */
async function startPortalSession(token) {
  history.replaceState(null, '', `${location.pathname}${location.search}#/endpoints`);
  sessionStorage.setItem(KEY_STORAGE, token);
  sessionStorage.removeItem(PORTAL_STORAGE);
  try {
    const session = await api('GET', 'v1/session');
    if (session?.kind !== 'portal_session') throw new Error('not a portal session');
    sessionStorage.setItem(PORTAL_STORAGE, JSON.stringify({ tenant: session.tenant, title: session.title, expiresAt: session.expiresAt }));
    return true;
  } catch {
    sessionStorage.removeItem(KEY_STORAGE);
    return false;
  }
}

/** Portal mode: the header names the session's title and tenant; the operator's parts of the page are hidden. */
function applyPortalChrome() {
  const portal = portalSession();
  document.body.classList.toggle('portal', portal !== null);
  const name = document.getElementById('brand-name');
  if (name) name.textContent = portal ? portal.title || 'Webhooks' : 'Herald';
  const note = document.getElementById('portal-tenant');
  if (note) {
    note.replaceChildren();
    if (portal) appendAll(note, [`${portal.tenant} · session ends `, timeEl(portal.expiresAt)]);
  }
  const forget = document.getElementById('forget-key');
  if (forget) forget.textContent = portal ? 'Sign out' : 'Forget API key';
}

/** A portal session that ended (expired, revoked, or signed out): there is no key to type, only a new link to ask for. */
function renderPortalEnded() {
  startView('__portal_ended');
  showNav(false);
  setView('This session has ended', [
    el(
      'div',
      { class: 'card stack' },
      el('p', {}, 'The link you opened has expired, was revoked, or you signed out.'),
      el('p', {}, 'Open a new link from the application that sent you here.'),
    ),
  ]);
}

function parseHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : 'endpoints';
  const [pathPart, query = ''] = raw.split('?', 2);
  const segments = (pathPart ?? '').split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path: pathPart ?? '', segments, params: new URLSearchParams(query) };
}

/** Shows the deployment's environment (`GET /health`, no key needed) once per page load. */
let environmentShown = false;
function showEnvironment() {
  if (environmentShown) return;
  environmentShown = true;
  void api('GET', 'health').then(
    (health) => {
      const badge = document.getElementById('environment');
      if (badge && health && typeof health.environment === 'string') badge.textContent = health.environment;
    },
    () => {
      environmentShown = false;
    },
  );
}

function route() {
  if (location.hash.startsWith('#portal=')) {
    let token = location.hash.slice('#portal='.length);
    try {
      token = decodeURIComponent(token);
    } catch {
      // Not percent-encoded: the token as it is (the API refuses a malformed one).
    }
    void startPortalSession(token).then((ok) => {
      applyPortalChrome();
      if (ok) route();
      else renderPortalEnded();
    });
    return;
  }
  if (!sessionStorage.getItem(KEY_STORAGE)) {
    renderKeyForm(null);
    return;
  }
  showNav(true);
  showEnvironment();
  const { path, segments, params } = parseHash();
  // Same page, other filter or page: let the view reload only what changed.
  if (current && current.path === path && current.ctx.onParams) {
    current.ctx.onParams(params);
    return;
  }
  const ctx = startView(path);
  for (const a of nav.querySelectorAll('a[data-nav]')) {
    const active = a.getAttribute('data-nav') === segments[0];
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const [first, id, sub] = segments;
  const portal = portalSession() !== null;
  if (first === 'endpoints' && id === 'new' && sub === undefined) endpointFormView(ctx, null);
  else if (first === 'endpoints' && id !== undefined && sub === 'edit') endpointFormView(ctx, id);
  else if (first === 'endpoints' && id !== undefined && sub === undefined) endpointView(ctx, id, params);
  else if (first === 'endpoints' && id === undefined) endpointsView(ctx, params);
  else if (first === 'deliveries' && id !== undefined && sub === undefined) deliveryView(ctx, id);
  else if (first === 'events' && id !== undefined && sub === undefined) eventView(ctx, id);
  // The operator's pages; a portal session has no business there (and the API would refuse it anyway).
  else if (first === 'dead' && id === undefined && !portal) deadLettersView(ctx, params);
  else if (first === 'overview' && id === undefined && !portal) overviewView(ctx);
  else if (first === 'event-types' && id === undefined) eventTypesView(ctx, params);
  else setView('Not found', [el('p', {}, 'No such page. '), link('Go to endpoints', 'endpoints')]);
}

/** Navigates to `hash`, optionally handing a notice to the next view. */
function go(hash, notice = null) {
  pendingNotice = notice;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function takeNotice() {
  const notice = pendingNotice;
  pendingNotice = null;
  return notice ? el('div', { class: 'notice', role: 'status' }, notice) : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Paging: the hash keeps the stack of cursors (`pages=c1.c2`), so Previous and Next are plain links.

function cursorsOf(params) {
  return (params.get('pages') ?? '').split('.').filter(Boolean);
}

/**
 * @param {string} basePath hash path without `#/`
 * @param {URLSearchParams} params current params
 * @param {string | null} nextCursor
 */
function pager(basePath, params, nextCursor) {
  const cursors = cursorsOf(params);
  const withPages = (list) => {
    const p = new URLSearchParams(params);
    if (list.length > 0) p.set('pages', list.join('.'));
    else p.delete('pages');
    const q = p.toString();
    return `#/${basePath}${q ? `?${q}` : ''}`;
  };
  const pageNo = cursors.length + 1;
  return el(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    cursors.length > 0 ? el('a', { href: withPages(cursors.slice(0, -1)), rel: 'prev' }, '← Previous') : el('span', { class: 'muted' }, '← Previous'),
    el('span', { class: 'page-no' }, `Page ${pageNo}`),
    nextCursor ? el('a', { href: withPages([...cursors, nextCursor]), rel: 'next' }, 'Next →') : el('span', { class: 'muted' }, 'Next →'),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Key form.

function renderKeyForm(reason) {
  const ctx = startView('__key');
  showNav(false);
  const input = el('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-help',
  });
  const region = resultRegion();
  if (reason) showError(region, reason);
  const submit = el('button', { type: 'submit' }, 'Use this key');
  const form = el(
    'form',
    { class: 'card stack', novalidate: true },
    el('label', { for: 'api-key' }, 'API key'),
    input,
    el('p', { id: 'api-key-help', class: 'help' }, 'Kept in this browser tab’s session storage only: closing the tab forgets it.'),
    el(
      'div',
      { class: 'key-where help' },
      el('p', {}, 'Where to find the key:'),
      el(
        'ul',
        {},
        el('li', {}, 'Local mode: ', el('code', {}, 'npm start'), ' prints it when it starts, and keeps it in ', el('code', {}, '.herald-data/dev-api-key'), '.'),
        el(
          'li',
          {},
          'In AWS: in Secrets Manager. The stack output ',
          el('code', {}, 'ApiKeySecretArn'),
          ' names the secret: ',
          el('code', {}, 'aws secretsmanager get-secret-value --secret-id <arn> --query SecretString --output text'),
          '.',
        ),
      ),
    ),
    el('p', {}, submit),
    region,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = /** @type {HTMLInputElement} */ (input).value.trim();
    if (key === '') {
      region.replaceChildren(el('div', { class: 'error' }, el('p', {}, 'Paste the API key first.')));
      input.focus();
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    region.replaceChildren(el('p', { class: 'muted' }, 'Checking the key…'));
    try {
      await api('GET', 'v1/endpoints', { query: { limit: 1 }, signal: ctx.signal });
      /** @type {HTMLInputElement} */ (input).value = '';
      current = null;
      route();
    } catch (error) {
      if (!ctx.alive()) return;
      sessionStorage.removeItem(KEY_STORAGE);
      showError(region, error);
      input.focus();
    }
  });
  setView('Sign in with your API key', [form], { focus: false });
  input.focus();
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoints list.

const ENDPOINT_COLUMNS = ['Endpoint', 'Tenant', 'Status', 'Circuit', 'Consecutive failures', 'Success (24 h)', 'p95 latency (24 h)'];

function endpointStatusCell(ep) {
  if (ep.disabled) {
    return el(
      'span',
      { class: 'stacked' },
      el('span', { class: 'badge badge-dead' }, 'Disabled'),
      el('span', { class: 'reason' }, ep.disabledReason ? String(ep.disabledReason) : 'no reason given'),
    );
  }
  const failing = ep.health?.failingSince;
  return el(
    'span',
    { class: 'stacked' },
    el('span', { class: failing ? 'badge badge-retrying' : 'badge badge-delivered' }, failing ? 'Failing' : 'Active'),
    failing ? el('span', { class: 'reason' }, 'since ', timeEl(failing)) : null,
  );
}

const CIRCUIT_LABELS = { closed: 'Closed', open: 'Open', half_open: 'Half-open' };

/**
 * The circuit breaker's state (`ep.circuit`): Closed, Open (deliveries parked; since when) or Half-open (a probe is
 * out), or Off when the endpoint has `circuitBreaker: false`.
 */
function circuitCell(ep) {
  const circuit = ep.circuit;
  if (!circuit || circuit.enabled === false) return el('span', { class: 'muted' }, 'Off');
  const state = String(circuit.state);
  const badge = el('span', { class: `badge ${state === 'closed' ? 'badge-delivered' : state === 'open' ? 'badge-dead' : 'badge-retrying'}` }, CIRCUIT_LABELS[state] ?? state);
  if (state === 'closed') return badge;
  return el('span', { class: 'stacked' }, badge, el('span', { class: 'reason' }, 'since ', timeEl(circuit.since)));
}

/** The circuit's rows in an endpoint's health: state, why, the next probe and the parked deliveries. */
function circuitFacts(ep) {
  const circuit = ep.circuit ?? {};
  const open = circuit.enabled !== false && circuit.state !== undefined && circuit.state !== 'closed';
  return [
    ['Circuit', circuitCell(ep)],
    ['Circuit reason', open && circuit.reason ? el('span', { class: 'reason' }, String(circuit.reason)) : null],
    ['Next probe', open ? timeEl(circuit.nextProbeAt) : null],
    ['Parked deliveries', typeof circuit.parked === 'number' ? String(circuit.parked) : null],
  ];
}

/** Fixed-height slots for the 24-hour stats and the last hour's receiver warnings, filled in place when they arrive. */
function statsSlots() {
  const rate = el('span', { class: 'stat-slot', 'aria-busy': 'true' }, '…');
  // The sparkline's box is there from the start, so its arrival moves nothing.
  const spark = el('span', { class: 'spark-slot' });
  return {
    rate,
    p95: el('span', { class: 'stat-slot', 'aria-busy': 'true' }, '…'),
    receiver: el('span', { class: 'stat-slot', 'aria-busy': 'true', id: 'receiver-health' }, '…'),
    spark,
    /** The rate with its 24-hour sparkline, for table cells. */
    cell: el('span', { class: 'stat-cell' }, rate, spark),
  };
}

/** The last hour's receiver warnings (`stats.lastHour`): a Degraded badge with the reasons, or OK. */
function showReceiverHealth(slot, lastHour) {
  const warnings = Array.isArray(lastHour?.warnings) ? lastHour.warnings : [];
  if (!lastHour || lastHour.attempts === 0) {
    slot.replaceChildren('—');
  } else if (warnings.length === 0) {
    slot.replaceChildren('OK');
  } else {
    // Short labels keep the slot on one line at 320 px; the full reasons are in the title and the accessible name.
    const reasons = warnings.map((w) => String(w.message)).join('; ');
    const labels = warnings.map((w) => (w.kind === 'slow' ? 'slow' : `non-2xx ${(Number(w.rate) * 100).toFixed(1)} %`));
    slot.replaceChildren(el('span', { class: 'badge badge-dead', title: reasons, 'aria-label': `Degraded: ${reasons}` }, 'Degraded'), ` ${labels.join(', ')}`);
  }
}

/**
 * Fills stats slots from `GET /v1/endpoints/{id}/stats` (attempts of the last 24 hours).
 * @param {ViewContext} ctx
 * @param {string} id
 * @param {{rate: HTMLElement, p95: HTMLElement, receiver?: HTMLElement, spark?: HTMLElement}} slots
 */
async function loadStats(ctx, id, slots) {
  try {
    const stats = await api('GET', `v1/endpoints/${encodeURIComponent(id)}/stats`, { signal: ctx.signal });
    if (!ctx.alive()) return;
    if (slots.receiver) showReceiverHealth(slots.receiver, stats?.lastHour);
    if (!stats || stats.attempts === 0) {
      slots.rate.textContent = 'no attempts';
      slots.p95.textContent = '—';
    } else {
      const pct = (Number(stats.successRate) * 100).toFixed(1).replace(/\.0$/, '');
      slots.rate.textContent = `${pct}% of ${stats.attempts}`;
      if (slots.spark && Array.isArray(stats.buckets)) slots.spark.replaceChildren(sparkline(stats.buckets));
      slots.p95.textContent = stats.p95LatencyMs === null ? '—' : `${stats.p95LatencyMs} ms`;
      if (stats.truncated) {
        const note = `Computed from the ${stats.deliveriesExamined} most recent deliveries of the last 24 hours.`;
        slots.rate.setAttribute('title', note);
        slots.p95.setAttribute('title', note);
      }
    }
  } catch (error) {
    if (!ctx.alive()) return;
    const message = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
    slots.rate.textContent = 'unavailable';
    slots.rate.setAttribute('title', message);
    slots.p95.textContent = 'unavailable';
    slots.p95.setAttribute('title', message);
    if (slots.receiver) slots.receiver.textContent = 'unavailable';
  }
  for (const slot of [slots.rate, slots.p95, slots.receiver]) slot?.setAttribute('aria-busy', 'false');
}

/** Runs `tasks` with at most `limit` at a time. */
async function pool(tasks, limit) {
  const queue = [...tasks];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length > 0) await /** @type {() => Promise<void>} */ (queue.shift())();
  });
  await Promise.all(workers);
}

function endpointsView(ctx, params) {
  const slot = el('div', { class: 'load-slot', 'aria-busy': 'true' }, skeletonTable(4));
  const tenantInput = el('input', { id: 'tenant-filter', name: 'tenant', type: 'text', value: params.get('tenant') ?? '', autocomplete: 'off' });
  const filter = el(
    'form',
    { class: 'inline-form', role: 'search', 'aria-label': 'Filter endpoints' },
    el('label', { for: 'tenant-filter' }, 'Tenant'),
    tenantInput,
    el('button', { type: 'submit', class: 'secondary' }, 'Filter'),
  );
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    const tenant = /** @type {HTMLInputElement} */ (tenantInput).value.trim();
    go(tenant ? `#/endpoints?tenant=${encodeURIComponent(tenant)}` : '#/endpoints');
  });
  // A portal session only ever sees its own tenant: no tenant filter, no tenant column.
  const portal = portalSession() !== null;
  const columns = portal ? ENDPOINT_COLUMNS.filter((c) => c !== 'Tenant') : ENDPOINT_COLUMNS;
  setView('Endpoints', [
    takeNotice(),
    el('div', { class: 'toolbar' }, el('a', { href: '#/endpoints/new', class: 'button' }, 'New endpoint'), portal ? null : filter),
    slot,
  ]);
  const load = async (p) => {
    slot.setAttribute('aria-busy', 'true');
    try {
      const cursors = cursorsOf(p);
      const page = await api('GET', 'v1/endpoints', {
        query: { limit: PAGE_SIZE, tenant: p.get('tenant') ?? undefined, cursor: cursors[cursors.length - 1] },
        signal: ctx.signal,
      });
      if (!ctx.alive()) return;
      const endpoints = Array.isArray(page?.data) ? page.data : [];
      /** @type {(() => Promise<void>)[]} */
      const statTasks = [];
      const rows = endpoints.map((ep) => {
        const slots = statsSlots();
        statTasks.push(() => loadStats(ctx, ep.id, slots));
        return row(columns, [
          el(
            'span',
            { class: 'stacked' },
            link(String(ep.url), 'endpoints', ep.id),
            ep.description ? el('span', { class: 'muted' }, String(ep.description)) : null,
          ),
          portal ? undefined : ep.tenant ? String(ep.tenant) : el('span', { class: 'muted' }, 'none'),
          endpointStatusCell(ep),
          circuitCell(ep),
          String(ep.health?.consecutiveFailures ?? 0),
          slots.cell,
          slots.p95,
        ].filter((cell) => cell !== undefined));
      });
      slot.replaceChildren(
        endpoints.length === 0
          ? el('p', { class: 'empty' }, p.get('tenant') ? 'No endpoints for this tenant.' : 'No endpoints yet. Create one to start delivering.')
          : table(columns, rows, 'Endpoints'),
        pager('endpoints', p, page?.nextCursor ?? null),
      );
      slot.setAttribute('aria-busy', 'false');
      if (p !== params) refocus(document.getElementById('view-title'));
      void pool(statTasks, STATS_CONCURRENCY);
    } catch (error) {
      loadFailed(ctx, slot, error);
    }
  };
  ctx.onParams = (p) => {
    /** @type {HTMLInputElement} */ (tenantInput).value = p.get('tenant') ?? '';
    void load(p);
  };
  void load(params);
}

// ---------------------------------------------------------------------------------------------------------------
// One endpoint: details, health, actions, deliveries.

const DELIVERY_COLUMNS = ['Delivery', 'Event type', 'Status', 'Attempts', 'Last outcome', 'Next attempt / reason', 'Created'];

function endpointDetails(ep) {
  const headers = ep.headers && typeof ep.headers === 'object' ? Object.entries(ep.headers) : [];
  return defList([
    ['URL', el('span', { class: 'break' }, String(ep.url))],
    ['Description', ep.description ? String(ep.description) : null],
    ['Event types', Array.isArray(ep.eventTypes) ? ep.eventTypes.join(', ') : null],
    ['Tenant', ep.tenant ? String(ep.tenant) : el('span', { class: 'muted' }, 'none')],
    ['Status', endpointStatusCell(ep)],
    ['Timeout', ep.timeoutMs !== undefined ? `${ep.timeoutMs} ms` : null],
    ['Retry policy', el('pre', { class: 'json small' }, prettyJson(ep.retryPolicy ?? {}))],
    ['Circuit breaker', ep.circuitBreaker === false ? 'off' : ep.circuitBreaker ? el('pre', { class: 'json small' }, prettyJson(ep.circuitBreaker)) : el('span', { class: 'muted' }, "the deployment's")],
    ['Rate limit', typeof ep.rateLimitPerSecond === 'number' ? `${ep.rateLimitPerSecond} per second` : el('span', { class: 'muted' }, 'none')],
    ['Headers', headers.length === 0 ? el('span', { class: 'muted' }, 'none') : el('ul', { class: 'plain' }, headers.map(([k, v]) => el('li', {}, el('code', {}, `${k}: ${v}`))))],
    ['Created', timeEl(ep.createdAt)],
    ['Updated', timeEl(ep.updatedAt)],
  ]);
}

function healthDetails(ctx, ep) {
  const slots = statsSlots();
  void loadStats(ctx, ep.id, slots);
  return defList(
    [
      ['Consecutive failures', String(ep.health?.consecutiveFailures ?? 0)],
      ['Failing since', timeEl(ep.health?.failingSince)],
      ['Last success', timeEl(ep.health?.lastSuccessAt)],
      ['Last failure', timeEl(ep.health?.lastFailureAt)],
      ...circuitFacts(ep),
      ['Success rate (24 h)', slots.rate],
      ['p95 latency (24 h)', slots.p95],
      ['Receiver (last hour)', slots.receiver],
    ],
    'facts facts-compact',
  );
}

/** A compact form for one action: its inputs, a button, and the region that reports the result. */
function actionPanel(title, description, controls, button, region) {
  return el(
    'section',
    { class: 'action card', 'aria-labelledby': `${button.id}-title` },
    el('h3', { id: `${button.id}-title` }, title),
    description ? el('p', { class: 'help' }, description) : null,
    el('div', { class: 'action-controls' }, controls, button),
    region,
  );
}

function deliveriesCreatedText(response) {
  const deliveries = Array.isArray(response?.deliveries) ? response.deliveries : [];
  return el(
    'ul',
    { class: 'plain' },
    deliveries.map((d) => el('li', {}, 'Delivery ', link(String(d.id), 'deliveries', d.id), ' · ', statusBadge(d.status))),
  );
}

function localIso(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function endpointActions(ctx, ep, reload) {
  const id = ep.id;
  const path = `v1/endpoints/${encodeURIComponent(id)}`;

  // Disable / enable.
  const toggleRegion = resultRegion();
  const toggleButton = el('button', { type: 'button', id: 'toggle-endpoint', class: ep.disabled ? '' : 'danger' }, ep.disabled ? 'Enable endpoint' : 'Disable endpoint');
  wireAction(toggleButton, toggleRegion, async () => {
    const updated = await api('PATCH', path, { body: { disabled: !ep.disabled }, signal: ctx.signal });
    reload(el('p', {}, updated?.disabled ? 'Endpoint disabled: new events are not delivered to it.' : 'Endpoint enabled: new events are delivered to it again.'));
  });
  const toggle = actionPanel(
    ep.disabled ? 'Enable' : 'Disable',
    ep.disabled
      ? 'Resume deliveries to this endpoint; its failure streak starts again from zero.'
      : 'Stop delivering new events to this endpoint. Events published while it is disabled are recorded as skipped.',
    [],
    toggleButton,
    toggleRegion,
  );

  // Test event.
  const testRegion = resultRegion();
  const typeInput = el('input', { id: 'test-type', type: 'text', value: 'herald.test', autocomplete: 'off' });
  const testButton = el('button', { type: 'button', id: 'send-test' }, 'Send test event');
  wireAction(testButton, testRegion, async () => {
    const type = /** @type {HTMLInputElement} */ (typeInput).value.trim();
    const response = await api('POST', `${path}/test`, { body: type ? { type } : {}, signal: ctx.signal });
    showResult(
      testRegion,
      el('p', {}, 'Sent test event ', response?.id ? link(String(response.id), 'events', response.id) : '', ` of type ${response?.type ?? type}.`),
      deliveriesCreatedText(response),
    );
  });
  const test = actionPanel('Send a test event', 'Publishes an event to this endpoint only.', [el('label', { for: 'test-type' }, 'Event type'), typeInput], testButton, testRegion);

  // Recover since a time.
  const recoverRegion = resultRegion();
  const sinceInput = el('input', { id: 'recover-since', type: 'datetime-local', required: true, value: localIso(new Date(Date.now() - 24 * 3600 * 1000)) });
  const recoverButton = el('button', { type: 'button', id: 'recover' }, 'Recover');
  wireAction(recoverButton, recoverRegion, async () => {
    const value = /** @type {HTMLInputElement} */ (sinceInput).value;
    const since = new Date(value);
    if (value === '' || Number.isNaN(since.getTime())) {
      recoverRegion.replaceChildren(el('div', { class: 'error' }, el('p', {}, 'Choose the date and time to recover from.')));
      return;
    }
    const response = await api('POST', `${path}/recover`, { body: { since: since.toISOString() }, signal: ctx.signal });
    const ids = Array.isArray(response?.deliveryIds) ? response.deliveryIds : [];
    const count = typeof response?.count === 'number' ? response.count : ids.length;
    showResult(
      recoverRegion,
      el('p', {}, `Recovered ${count} failed ${count === 1 ? 'delivery' : 'deliveries'} created since ${since.toLocaleString()}: queued for redelivery now.`),
      ids.length > 0 ? el('ul', { class: 'plain id-list' }, ids.slice(0, 10).map((d) => el('li', {}, link(String(d), 'deliveries', d)))) : null,
      ids.length > 10 ? el('p', {}, `… and ${ids.length - 10} more.`) : null,
      response?.more ? el('p', {}, el('strong', {}, 'More deliveries matched than one call recovers: press Recover again to continue.')) : null,
    );
  });
  const recover = actionPanel(
    'Recover',
    'Redeliver every failed or dead delivery of this endpoint since a time (your local time).',
    [el('label', { for: 'recover-since' }, 'Since'), sinceInput],
    recoverButton,
    recoverRegion,
  );

  // Rotate the secret (two steps).
  const rotateRegion = resultRegion();
  const rotateButton = el('button', { type: 'button', id: 'rotate-secret', class: 'secondary' }, 'Rotate secret…');
  let armed = false;
  wireAction(rotateButton, rotateRegion, async () => {
    if (!armed) {
      armed = true;
      rotateButton.textContent = 'Confirm: rotate secret';
      rotateRegion.replaceChildren(el('p', {}, 'A new secret starts signing now; the old one keeps signing alongside for 24 hours. Press again to confirm.'));
      return;
    }
    armed = false;
    rotateButton.textContent = 'Rotate secret…';
    const response = await api('POST', `${path}/rotate-secret`, { signal: ctx.signal });
    showResult(rotateRegion, secretNotice(response?.secret, 'Secret rotated. The old secret keeps signing for 24 hours. New signing secret:'));
  });
  const rotate = actionPanel('Rotate the signing secret', null, [], rotateButton, rotateRegion);

  // Delete (two steps).
  const deleteRegion = resultRegion();
  const deleteButton = el('button', { type: 'button', id: 'delete-endpoint', class: 'danger' }, 'Delete endpoint…');
  let deleteArmed = false;
  wireAction(deleteButton, deleteRegion, async () => {
    if (!deleteArmed) {
      deleteArmed = true;
      deleteButton.textContent = 'Confirm: delete endpoint';
      deleteRegion.replaceChildren(el('p', {}, 'Deleting cannot be undone. Press again to confirm.'));
      return;
    }
    deleteArmed = false;
    const response = await api('DELETE', path, { signal: ctx.signal });
    const canceled = Number(response?.canceledDeliveries ?? 0);
    go(
      '#/endpoints',
      el('p', {}, `Deleted endpoint ${id} (${ep.url})${canceled > 0 ? `; ${canceled} unfinished ${canceled === 1 ? 'delivery was' : 'deliveries were'} canceled` : ''}.`),
    );
  });
  const remove = actionPanel('Delete', null, [], deleteButton, deleteRegion);

  return el(
    'div',
    { class: 'actions-grid' },
    el('section', { class: 'action card' }, el('h3', {}, 'Edit'), el('p', { class: 'help' }, 'Change the URL, event types, retry policy, timeout or headers.'), el('p', {}, el('a', { href: hashOf('endpoints', id, 'edit'), class: 'button secondary' }, 'Edit endpoint'))),
    toggle,
    test,
    recover,
    rotate,
    remove,
  );
}

/**
 * @param {ViewContext} ctx
 * @param {string} id
 * @param {URLSearchParams} params
 */
function endpointView(ctx, id, params, notice = takeNotice(), focus = true) {
  const top = el('div', { class: 'load-slot', 'aria-busy': 'true' }, el('div', { class: 'skeleton skeleton-block' }));
  setView(`Endpoint ${id}`, [notice, top], { focus });
  const reload = (message) => {
    const next = startView(current?.path ?? '');
    endpointView(next, id, parseHash().params, message ? el('div', { class: 'notice', role: 'status', tabindex: '-1' }, message) : null, false);
  };
  void (async () => {
    try {
      // Both loads finish before anything is drawn, so the sections appear together and none pushes another.
      const [ep, firstPage] = await Promise.all([
        api('GET', `v1/endpoints/${encodeURIComponent(id)}`, { signal: ctx.signal }),
        api('GET', `v1/endpoints/${encodeURIComponent(id)}/deliveries`, { query: deliveriesQuery(params), signal: ctx.signal }),
      ]);
      if (!ctx.alive()) return;
      top.replaceChildren(
        el(
          'div',
          { class: 'columns' },
          el('section', { 'aria-labelledby': 'details-title' }, el('h2', { id: 'details-title' }, 'Details'), endpointDetails(ep)),
          el('section', { 'aria-labelledby': 'health-title' }, el('h2', { id: 'health-title' }, 'Health'), healthDetails(ctx, ep)),
        ),
        deliveriesSection(ctx, id, params, firstPage),
        el('section', { 'aria-labelledby': 'actions-title' }, el('h2', { id: 'actions-title' }, 'Actions'), endpointActions(ctx, ep, reload)),
      );
      top.setAttribute('aria-busy', 'false');
      // After an action reloaded the page, continue from its confirmation (the button that had focus is gone).
      if (!focus && notice instanceof HTMLElement) notice.focus();
    } catch (error) {
      loadFailed(ctx, top, error);
    }
  })();
}

/** The list query of an endpoint's deliveries for the hash params (`status`, `pages`). */
function deliveriesQuery(p) {
  const cursors = cursorsOf(p);
  return { limit: PAGE_SIZE, status: p.get('status') ?? undefined, cursor: cursors[cursors.length - 1] };
}

/**
 * The endpoint's deliveries, filtered by status, paged, with statuses refreshed in place while any is unfinished.
 * @param {ViewContext} ctx
 * @param {string} endpointId
 * @param {URLSearchParams} initial
 * @param {any} firstPage the page for `initial`, already loaded
 */
function deliveriesSection(ctx, endpointId, initial, firstPage) {
  const basePath = `endpoints/${encodeURIComponent(endpointId)}`;
  const select = el(
    'select',
    { id: 'status-filter', name: 'status' },
    el('option', { value: '' }, 'All statuses'),
    DELIVERY_STATUSES.map((s) => el('option', { value: s }, s)),
  );
  const filter = el(
    'form',
    { class: 'inline-form', 'aria-label': 'Filter deliveries' },
    el('label', { for: 'status-filter' }, 'Status'),
    select,
    el('button', { type: 'submit', class: 'secondary' }, 'Show'),
  );
  const refresh = el('button', { type: 'button', class: 'secondary', id: 'refresh-deliveries' }, 'Refresh');
  const slot = el('div', { class: 'load-slot', 'aria-busy': 'true' }, skeletonTable(3));
  /** @type {Map<string, {status: HTMLElement, attempts: HTMLElement, outcome: HTMLElement, next: HTMLElement, final: boolean}>} */
  let cells = new Map();
  let unfinished = false;
  let params = initial;

  const query = deliveriesQuery;

  const nextCell = (d) =>
    d.nextAttemptAt
      ? el('span', {}, timeEl(d.nextAttemptAt))
      : d.finalReason
        ? el('span', {}, String(d.finalReason))
        : el('span', { class: 'muted' }, '—');

  const render = (page, p) => {
    const list = Array.isArray(page?.data) ? page.data : [];
    cells = new Map();
    const rows = list.map((d) => {
      const c = {
        status: el('span', {}, statusBadge(d.status)),
        attempts: el('span', {}, String(d.attemptCount ?? 0)),
        outcome: el('span', {}, outcomeText(d.lastOutcome)),
        next: nextCell(d),
        final: FINAL_STATUSES.has(d.status),
      };
      cells.set(d.id, c);
      return row(DELIVERY_COLUMNS, [link(String(d.id), 'deliveries', d.id), String(d.eventType ?? ''), c.status, c.attempts, c.outcome, c.next, timeEl(d.createdAt)]);
    });
    slot.replaceChildren(
      list.length === 0 ? el('p', { class: 'empty' }, p.get('status') ? `No ${p.get('status')} deliveries.` : 'No deliveries yet.') : table(DELIVERY_COLUMNS, rows, 'Deliveries'),
      pager(basePath, p, page?.nextCursor ?? null),
    );
    slot.setAttribute('aria-busy', 'false');
    unfinished = list.some((d) => !FINAL_STATUSES.has(d.status));
    if (p !== initial) refocus(heading);
  };

  const load = async (p) => {
    params = p;
    /** @type {HTMLSelectElement} */ (select).value = p.get('status') ?? '';
    slot.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', `v1/endpoints/${encodeURIComponent(endpointId)}/deliveries`, { query: query(p), signal: ctx.signal });
      if (!ctx.alive() || p !== params) return;
      render(page, p);
    } catch (error) {
      loadFailed(ctx, slot, error);
    }
  };

  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    const status = /** @type {HTMLSelectElement} */ (select).value;
    go(`#/${basePath}${status ? `?status=${encodeURIComponent(status)}` : ''}`);
  });
  refresh.addEventListener('click', () => void load(params));
  ctx.onParams = (p) => void load(p);

  // Live status: update the cells of rows on screen; new deliveries appear on Refresh (no rows jump in by themselves).
  ctx.every(POLL_MS, async () => {
    if (!unfinished) return;
    const p = params;
    const page = await api('GET', `v1/endpoints/${encodeURIComponent(endpointId)}/deliveries`, { query: query(p), signal: ctx.signal });
    if (!ctx.alive() || p !== params) return;
    for (const d of Array.isArray(page?.data) ? page.data : []) {
      const c = cells.get(d.id);
      if (!c) continue;
      if (c.status.textContent !== String(d.status)) c.status.replaceChildren(statusBadge(d.status));
      c.attempts.textContent = String(d.attemptCount ?? 0);
      c.outcome.textContent = outcomeText(d.lastOutcome);
      c.next.replaceChildren(nextCell(d));
      c.final = FINAL_STATUSES.has(d.status);
    }
    unfinished = [...cells.values()].some((c) => !c.final);
  });

  const heading = el('h2', { id: 'deliveries-title', tabindex: '-1' }, 'Deliveries');
  /** @type {HTMLSelectElement} */ (select).value = initial.get('status') ?? '';
  render(firstPage, initial);
  return el(
    'section',
    { 'aria-labelledby': 'deliveries-title' },
    heading,
    el('div', { class: 'toolbar' }, filter, refresh),
    slot,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoint form (create and edit).

/** Parses an optional JSON textarea; throws a console-side message naming the field. */
function parseJsonField(text, field) {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${field} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The event-type catalog as checkboxes under the endpoint form's Event types field (`GET /v1/event-types`, which
 * every read grant may call): ticking a type adds it to the field, unticking removes it, so a customer picks from
 * the types that exist and may still type a wildcard. The box has a fixed height, so loading it moves nothing.
 * @param {ViewContext} ctx
 * @param {HTMLInputElement} input the Event types field
 */
function catalogPicker(ctx, input) {
  const legend = el('legend', {}, 'Pick from the event-type catalog');
  const list = el('div', { class: 'catalog-list' }, el('p', { class: 'muted' }, 'Loading the event types…'));
  const box = el('fieldset', { class: 'catalog-picker', 'aria-busy': 'true' }, legend, list);
  const chosen = () => input.value.split(',').map((s) => s.trim()).filter(Boolean);
  /** @type {HTMLInputElement[]} */
  const boxes = [];
  const sync = () => {
    const now = new Set(chosen());
    for (const b of boxes) b.checked = now.has(b.value);
  };
  input.addEventListener('input', sync);
  void (async () => {
    try {
      const types = [];
      let cursor;
      do {
        const page = await api('GET', 'v1/event-types', { query: { limit: 100, cursor }, signal: ctx.signal });
        types.push(...(Array.isArray(page?.data) ? page.data : []));
        cursor = page?.nextCursor ?? undefined;
      } while (cursor && types.length < 1000);
      if (!ctx.alive()) return;
      if (types.length === 0) {
        list.replaceChildren(el('p', { class: 'muted' }, 'No event types are registered: type the ones you want, or * for all.'));
      } else {
        list.replaceChildren(
          el(
            'ul',
            { class: 'plain' },
            types.map((t, i) => {
              const check = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', class: 'checkbox', id: `catalog-${i}`, value: String(t.type) }));
              boxes.push(check);
              check.addEventListener('change', () => {
                const rest = chosen().filter((x) => x !== '*' && x !== check.value);
                const next = check.checked ? [...rest, check.value] : rest;
                input.value = (next.length === 0 ? ['*'] : next).join(', ');
              });
              return el(
                'li',
                { class: 'catalog-item' },
                check,
                el('label', { for: `catalog-${i}` }, el('code', {}, String(t.type)), t.description ? el('span', { class: 'muted' }, ` ${String(t.description)}`) : null),
              );
            }),
          ),
        );
        sync();
      }
    } catch (error) {
      if (!ctx.alive()) return;
      list.replaceChildren(el('p', { class: 'muted' }, `The catalog could not be read (${error instanceof ApiError ? error.code : String(error)}); type the event types.`));
    }
    box.setAttribute('aria-busy', 'false');
  })();
  return box;
}

/**
 * @param {ViewContext} ctx
 * @param {string | null} id null to create
 */
function endpointFormView(ctx, id) {
  const creating = id === null;
  const portal = portalSession();
  const slot = el('div', { class: 'load-slot', 'aria-busy': String(!creating) }, creating ? null : el('div', { class: 'skeleton skeleton-form' }));
  setView(creating ? 'New endpoint' : `Edit endpoint ${id}`, [slot]);

  const build = (ep) => {
    /** @type {Record<string, HTMLElement>} */
    const fields = {};
    const field = (name, label, control, help) => {
      control.id = `field-${name}`;
      control.setAttribute('name', name);
      if (help) control.setAttribute('aria-describedby', `help-${name}`);
      fields[name] = control;
      return el('div', { class: 'field' }, el('label', { for: control.id }, label), control, help ? el('p', { class: 'help', id: `help-${name}` }, help) : null);
    };
    const textarea = (value, rows) => {
      const t = el('textarea', { rows: String(rows), spellcheck: 'false' });
      /** @type {HTMLTextAreaElement} */ (t).value = value;
      return t;
    };
    const region = resultRegion();
    const submit = el('button', { type: 'submit' }, creating ? 'Create endpoint' : 'Save changes');
    const form = el(
      'form',
      { class: 'card stack endpoint-form', novalidate: true },
      field('url', 'URL', el('input', { type: 'url', required: true, value: ep?.url ?? '', autocomplete: 'off', inputmode: 'url' }), 'Where Herald POSTs the events (use HTTPS in production).'),
      field('description', 'Description', el('input', { type: 'text', value: ep?.description ?? '', autocomplete: 'off' })),
      field('eventTypes', 'Event types', el('input', { type: 'text', value: (ep?.eventTypes ?? ['*']).join(', '), autocomplete: 'off' }), 'Comma-separated: * for all, exact types, or prefix wildcards like dir_sync.*'),
      catalogPicker(ctx, /** @type {HTMLInputElement} */ (fields.eventTypes)),
      portal
        ? field('tenant', 'Account', el('input', { type: 'text', value: portal.tenant, autocomplete: 'off', disabled: true }), 'Your endpoints belong to your account.')
        : field('tenant', 'Tenant', el('input', { type: 'text', value: ep?.tenant ?? '', autocomplete: 'off', disabled: !creating }), creating ? 'Optional. Events fan out only to endpoints of their own tenant.' : 'The tenant of an endpoint cannot change.'),
      field('timeoutMs', 'Timeout (ms)', el('input', { type: 'number', min: '1', step: '1', value: ep?.timeoutMs ?? '', inputmode: 'numeric' }), 'Optional; the deployment default when empty.'),
      field('retryPolicy', 'Retry policy (JSON)', textarea(ep && Object.keys(ep.retryPolicy ?? {}).length > 0 ? prettyJson(ep.retryPolicy) : '', 5), 'Optional, e.g. {"preset": "default"} or {"delays": ["30s", "5m", "1h"]}.'),
      field('headers', 'Headers (JSON object)', textarea(ep && Object.keys(ep.headers ?? {}).length > 0 ? prettyJson(ep.headers) : '', 3), creating ? 'Optional extra headers sent with every request, e.g. {"authorization": "Bearer …"}. Their values are stored encrypted and shown masked from then on.' : 'Values are shown masked (********): leave a masked value as it is to keep it, or type a new one.'),
      creating ? field('disabled', 'Create disabled', el('input', { type: 'checkbox', class: 'checkbox' })) : null,
      el('p', { class: 'actions-row' }, submit, el('a', { href: creating ? '#/endpoints' : hashOf('endpoints', /** @type {string} */ (id)) }, 'Cancel')),
      region,
    );

    const value = (name) => /** @type {HTMLInputElement} */ (fields[name]).value;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submit.getAttribute('aria-disabled') === 'true') return;
      for (const control of Object.values(fields)) control.removeAttribute('aria-invalid');
      /** @type {Record<string, any>} */
      const body = {};
      try {
        body.url = value('url').trim();
        body.description = value('description');
        body.eventTypes = value('eventTypes').split(',').map((s) => s.trim()).filter(Boolean);
        // A portal session's endpoints take its tenant (the API fills it in).
        if (creating && !portal && value('tenant').trim() !== '') body.tenant = value('tenant').trim();
        if (value('timeoutMs').trim() !== '') body.timeoutMs = Number(value('timeoutMs'));
        const policy = parseJsonField(value('retryPolicy'), 'Retry policy');
        if (policy !== undefined) body.retryPolicy = policy;
        else if (!creating) body.retryPolicy = {};
        const headers = parseJsonField(value('headers'), 'Headers');
        if (headers !== undefined) body.headers = headers;
        else if (!creating) body.headers = {};
        if (creating && /** @type {HTMLInputElement} */ (fields.disabled).checked) body.disabled = true;
      } catch (error) {
        region.replaceChildren(el('div', { class: 'error' }, el('p', {}, error instanceof Error ? error.message : String(error))));
        return;
      }
      submit.setAttribute('aria-disabled', 'true');
      region.replaceChildren(el('p', { class: 'muted' }, creating ? 'Creating…' : 'Saving…'));
      try {
        const saved = await api(creating ? 'POST' : 'PATCH', creating ? 'v1/endpoints' : `v1/endpoints/${encodeURIComponent(/** @type {string} */ (id))}`, { body, signal: ctx.signal });
        if (creating) {
          go(hashOf('endpoints', saved.id), [el('p', {}, `Created endpoint ${saved.id} for ${saved.url}.`), saved.secret ? secretNotice(saved.secret, 'Its signing secret:') : null]);
        } else {
          go(hashOf('endpoints', saved.id ?? id), el('p', {}, `Saved endpoint ${saved.id ?? id}.`));
        }
      } catch (error) {
        if (!ctx.alive()) return;
        if (error instanceof ApiError && error.status === 401) {
          forgetKey(error);
          return;
        }
        showError(region, error);
        if (error instanceof ApiError) {
          for (const detail of error.details) {
            const name = String(detail.path ?? '').split(/[.[/]/)[0] ?? '';
            fields[name]?.setAttribute('aria-invalid', 'true');
          }
        }
      } finally {
        submit.removeAttribute('aria-disabled');
      }
    });
    slot.replaceChildren(form);
    slot.setAttribute('aria-busy', 'false');
  };

  if (creating) {
    build(null);
    return;
  }
  void (async () => {
    try {
      const ep = await api('GET', `v1/endpoints/${encodeURIComponent(/** @type {string} */ (id))}`, { signal: ctx.signal });
      if (ctx.alive()) build(ep);
    } catch (error) {
      loadFailed(ctx, slot, error);
    }
  })();
}

// ---------------------------------------------------------------------------------------------------------------
// One delivery: summary, redeliver, payload, attempts timeline.

function attemptItem(a) {
  const outcome = outcomeText(a.outcome, a.statusCode);
  const ok = a.next?.kind === 'delivered';
  return el(
    'li',
    { class: `attempt ${ok ? 'attempt-ok' : 'attempt-failed'}`, dataset: { attempt: String(a.number) } },
    el('h3', { class: 'attempt-title' }, `Attempt ${a.number} · ${outcome}`),
    defList(
      [
        ['Time', timeEl(a.startedAt)],
        ['Outcome', outcome],
        ['Status code', a.statusCode === undefined || a.statusCode === null ? null : String(a.statusCode)],
        ['Latency', a.latencyMs === undefined || a.latencyMs === null ? null : `${a.latencyMs} ms`],
        ['Error', a.error ? String(a.error) : null],
        ['Next', nextNode(a.next)],
      ],
      'facts facts-compact',
    ),
    a.responseExcerpt
      ? el('details', { class: 'excerpt' }, el('summary', {}, 'Response excerpt'), el('pre', { class: 'json small' }, String(a.responseExcerpt)))
      : null,
  );
}

/**
 * @param {ViewContext} ctx
 * @param {string} id
 */
function deliveryView(ctx, id) {
  const slot = el('div', { class: 'load-slot', 'aria-busy': 'true' }, el('div', { class: 'skeleton skeleton-block' }));
  setView(`Delivery ${id}`, [slot]);
  const path = `v1/deliveries/${encodeURIComponent(id)}`;
  void (async () => {
    try {
      const delivery = await api('GET', path, { signal: ctx.signal });
      let event = null;
      let eventError = null;
      try {
        event = await api('GET', `v1/events/${encodeURIComponent(delivery.eventId)}`, { signal: ctx.signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) throw error;
        eventError = error;
      }
      if (!ctx.alive()) return;

      /** @type {Record<string, HTMLElement>} */
      const live = {
        status: el('span', { id: 'delivery-status' }),
        attempts: el('span'),
        next: el('span'),
        outcome: el('span'),
        reason: el('span'),
        updated: el('span'),
      };
      const timeline = el('ol', { class: 'timeline', 'aria-label': 'Attempts, oldest first' });
      const noAttempts = el('p', { class: 'empty' }, 'No attempts yet.');
      let shown = 0;
      let status = String(delivery.status);
      const update = (d) => {
        status = String(d.status);
        live.status.replaceChildren(statusBadge(d.status));
        live.attempts.textContent = String(d.attemptCount ?? 0);
        live.next.replaceChildren(timeEl(d.nextAttemptAt));
        live.outcome.textContent = outcomeText(d.lastOutcome);
        live.reason.textContent = d.finalReason ? String(d.finalReason) : '—';
        live.updated.replaceChildren(timeEl(d.updatedAt));
        const attempts = Array.isArray(d.attempts) ? [...d.attempts].sort((a, b) => a.number - b.number) : [];
        for (const a of attempts.slice(shown)) timeline.appendChild(attemptItem(a));
        shown = Math.max(shown, attempts.length);
        noAttempts.hidden = shown > 0;
      };

      const region = resultRegion();
      const redeliver = el('button', { type: 'button', id: 'redeliver' }, 'Redeliver now');
      // Follows the delivery while it is unfinished; a redelivery makes it unfinished again.
      ctx.every(POLL_MS, async () => {
        if (FINAL_STATUSES.has(status)) return;
        const d = await api('GET', path, { signal: ctx.signal });
        if (ctx.alive()) update(d);
      });
      wireAction(redeliver, region, async () => {
        const response = await api('POST', `${path}/retry`, { signal: ctx.signal });
        const queued = response?.status ?? 'pending';
        showResult(region, el('p', {}, `Redelivery of ${id} queued; status is now ${queued}. This page follows its attempts.`));
        const d = await api('GET', path, { signal: ctx.signal });
        if (ctx.alive()) update(d);
      });

      const payload = event
        ? el('pre', { class: 'json payload', tabindex: '0', 'aria-label': 'Event payload' }, prettyJson(event.data))
        : errorBox(eventError);

      slot.replaceChildren(
        el(
          'section',
          { 'aria-labelledby': 'summary-title' },
          el('h2', { id: 'summary-title' }, 'Summary'),
          defList([
            ['Status', live.status],
            ['Endpoint', link(String(delivery.endpointId), 'endpoints', delivery.endpointId)],
            ['Event', link(String(delivery.eventId), 'events', delivery.eventId)],
            ['Event type', String(delivery.eventType ?? '')],
            ['Tenant', delivery.tenant ? String(delivery.tenant) : el('span', { class: 'muted' }, 'none')],
            ['Attempts', live.attempts],
            ['Last outcome', live.outcome],
            ['Next attempt', live.next],
            ['Final reason', live.reason],
            ['Created', timeEl(delivery.createdAt)],
            ['Updated', live.updated],
          ]),
        ),
        el(
          'section',
          { class: 'action card spaced', 'aria-labelledby': 'redeliver-title' },
          el('h2', { id: 'redeliver-title' }, 'Redeliver'),
          el('p', { class: 'help' }, 'Sends this delivery again now with a fresh retry schedule, also when it is dead.'),
          el('p', {}, redeliver),
          region,
        ),
        el('section', { 'aria-labelledby': 'payload-title' }, el('h2', { id: 'payload-title' }, 'Event payload'), payload),
        el('section', { 'aria-labelledby': 'attempts-title' }, el('h2', { id: 'attempts-title' }, 'Attempts'), noAttempts, timeline),
      );
      slot.setAttribute('aria-busy', 'false');
      update(delivery);
    } catch (error) {
      loadFailed(ctx, slot, error);
    }
  })();
}

// ---------------------------------------------------------------------------------------------------------------
// One event: payload and its deliveries.

function eventView(ctx, id) {
  const slot = el('div', { class: 'load-slot', 'aria-busy': 'true' }, el('div', { class: 'skeleton skeleton-block' }));
  setView(`Event ${id}`, [slot]);
  void (async () => {
    try {
      const event = await api('GET', `v1/events/${encodeURIComponent(id)}`, { signal: ctx.signal });
      if (!ctx.alive()) return;
      const columns = ['Delivery', 'Endpoint', 'Status', 'Attempts', 'Last outcome'];
      const deliveries = Array.isArray(event.deliveries) ? event.deliveries : [];
      slot.replaceChildren(
        defList([
          ['Type', String(event.type ?? '')],
          ['Tenant', event.tenant ? String(event.tenant) : el('span', { class: 'muted' }, 'none')],
          ['Created', timeEl(event.createdAt)],
        ]),
        el('section', { 'aria-labelledby': 'payload-title' }, el('h2', { id: 'payload-title' }, 'Payload'), el('pre', { class: 'json payload', tabindex: '0', 'aria-label': 'Event payload' }, prettyJson(event.data))),
        el(
          'section',
          { 'aria-labelledby': 'event-deliveries-title' },
          el('h2', { id: 'event-deliveries-title' }, 'Deliveries'),
          deliveries.length === 0
            ? el('p', { class: 'empty' }, 'No endpoint was subscribed to this event.')
            : table(
                columns,
                deliveries.map((d) =>
                  row(columns, [
                    link(String(d.id), 'deliveries', d.id),
                    link(String(d.endpointId), 'endpoints', d.endpointId),
                    statusBadge(d.status),
                    String(d.attemptCount ?? 0),
                    outcomeText(d.lastOutcome),
                  ]),
                ),
                'Deliveries of this event',
              ),
        ),
      );
      slot.setAttribute('aria-busy', 'false');
    } catch (error) {
      loadFailed(ctx, slot, error);
    }
  })();
}

// ---------------------------------------------------------------------------------------------------------------
// Dead letters across endpoints.

const DEAD_COLUMNS = ['Delivery', 'Endpoint', 'Event type', 'Attempts', 'Last outcome', 'Reason', 'Dead since', 'Action'];

/**
 * A paginated list view: `title` with its help text over a table of `columns`, one page of `path` at a time (the
 * cursors kept in the hash), `toRow` making each row, `empty` shown when there is nothing.
 * @param {{title: string, help: string, basePath: string, path: string, query?: Record<string, string>, columns: string[], toRow: (item: any) => any[], empty: string}} spec
 */
function pagedListView(ctx, params, spec) {
  const slot = el('div', { class: 'load-slot', 'aria-busy': 'true' }, skeletonTable(4));
  setView(spec.title, [el('p', { class: 'help' }, spec.help), slot]);
  const load = async (p) => {
    slot.setAttribute('aria-busy', 'true');
    try {
      const cursors = cursorsOf(p);
      const page = await api('GET', spec.path, { query: { ...spec.query, limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] }, signal: ctx.signal });
      if (!ctx.alive()) return;
      const list = Array.isArray(page?.data) ? page.data : [];
      slot.replaceChildren(
        list.length === 0 ? el('p', { class: 'empty' }, spec.empty) : table(spec.columns, list.map((item) => row(spec.columns, spec.toRow(item))), spec.title),
        pager(spec.basePath, p, page?.nextCursor ?? null),
      );
      slot.setAttribute('aria-busy', 'false');
      if (p !== params) refocus(document.getElementById('view-title'));
    } catch (error) {
      loadFailed(ctx, slot, error);
    }
  };
  ctx.onParams = (p) => void load(p);
  void load(params);
}

function deadLettersView(ctx, params) {
  pagedListView(ctx, params, {
    title: 'Dead letters',
    help: 'Deliveries Herald gave up on, across every endpoint, most recent first. Redeliver one to start a fresh retry schedule.',
    basePath: 'dead',
    path: 'v1/deliveries',
    query: { status: 'dead' },
    columns: DEAD_COLUMNS,
    empty: 'No dead letters. Every delivery was delivered, is still being retried, or was canceled.',
    toRow: (d) => {
      const region = el('div', { class: 'result result-inline', role: 'status', 'aria-live': 'polite' });
      const button = el('button', { type: 'button', class: 'secondary', 'aria-label': `Redeliver ${d.id}` }, 'Redeliver');
      wireAction(button, region, async () => {
        const response = await api('POST', `v1/deliveries/${encodeURIComponent(d.id)}/retry`, { signal: ctx.signal });
        showResult(region, el('span', {}, `Queued; status ${response?.status ?? 'pending'}. `), link('Follow it', 'deliveries', d.id));
      });
      return [
        link(String(d.id), 'deliveries', d.id),
        link(String(d.endpointId), 'endpoints', d.endpointId),
        String(d.eventType ?? ''),
        String(d.attemptCount ?? 0),
        outcomeText(d.lastOutcome),
        d.finalReason ? String(d.finalReason) : null,
        timeEl(d.updatedAt),
        el('span', { class: 'stacked' }, button, region),
      ];
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The event-type catalog.

const EVENT_TYPE_COLUMNS = ['Type', 'Description', 'Schema', 'Example', 'Updated'];

/** A JSON value folded behind a summary, or a dash when there is none. */
function foldedJson(value, label) {
  if (value === null || value === undefined) return null;
  return el('details', { class: 'excerpt' }, el('summary', {}, label), el('pre', { class: 'json small' }, prettyJson(value)));
}

function eventTypesView(ctx, params) {
  pagedListView(ctx, params, {
    title: 'Event types',
    help: 'The catalog of event types: what each means, the JSON Schema its data must match when published, and the example a test event sends. Register types with PUT /v1/event-types/{type}.',
    basePath: 'event-types',
    path: 'v1/event-types',
    columns: EVENT_TYPE_COLUMNS,
    empty: 'No event types registered. Events of any type can still be published.',
    toRow: (t) => [
      el('code', {}, String(t.type)),
      t.description ? String(t.description) : null,
      foldedJson(t.schema, 'Schema'),
      foldedJson(t.example, 'Example'),
      timeEl(t.updatedAt),
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Overview (operators): failing endpoints first, dead letters, the queues, deliveries per period as SVG.

const OUTCOMES = /** @type {const} */ (['delivered', 'failed', 'dead', 'canceled']);
const OUTCOME_LABELS = { delivered: 'Delivered', failed: 'Failed attempts', dead: 'Dead', canceled: 'Canceled' };
/** The overview refreshes every 30 s: its charts move by the minute, and each refresh reads 9 metrics from CloudWatch in AWS. */
const OVERVIEW_POLL_MS = 30_000;

/**
 * Deliveries per period by outcome as stacked bars. The bars are an inline SVG stretched to the box (no external
 * asset, no inline style: colours come from classes); the scale and the times are HTML around it, so the text stays
 * crisp at any width. The totals are the legend and the chart's accessible name.
 * @param {{start: string, delivered: number, failed: number, dead: number, canceled: number}[]} points
 * @param {string} caption
 * @param {string} id
 */
function outcomeChart(points, caption, id) {
  const unit = 10;
  const height = 100;
  const total = (p) => OUTCOMES.reduce((n, k) => n + (Number(p[k]) || 0), 0);
  const max = Math.max(1, ...points.map(total));
  const bars = [];
  points.forEach((p, i) => {
    let base = 0;
    for (const k of OUTCOMES) {
      const v = Number(p[k]) || 0;
      if (v === 0) continue;
      const top = height * (1 - (base + v) / max);
      bars.push(svg('rect', { class: `bar bar-${k}`, x: i * unit + 1, y: top.toFixed(2), width: unit - 2, height: ((height * v) / max).toFixed(2) }));
      base += v;
    }
  });
  const totals = Object.fromEntries(OUTCOMES.map((k) => [k, points.reduce((n, p) => n + (Number(p[k]) || 0), 0)]));
  const label = `${caption}: ${OUTCOMES.map((k) => `${totals[k]} ${OUTCOME_LABELS[k].toLowerCase()}`).join(', ')}`;
  // Over a day, the first bar's time needs its day too.
  const spansDays = points.length > 1 && Date.parse(points[points.length - 1].start) - Date.parse(points[0].start) > 12 * 3600_000;
  const clock = (iso) => new Date(iso).toLocaleString([], { ...(spansDays ? { weekday: 'short' } : {}), hour: '2-digit', minute: '2-digit' });
  const chart = svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${Math.max(1, points.length) * unit} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
    svg('line', { class: 'grid', x1: 0, y1: 0.5, x2: points.length * unit, y2: 0.5, 'vector-effect': 'non-scaling-stroke' }),
    ...bars,
  );
  return el(
    'figure',
    { class: 'chart-figure', 'aria-labelledby': id },
    el('figcaption', { id, class: 'chart-caption' }, caption),
    el(
      'div',
      { class: 'chart-area' },
      el('div', { class: 'chart-scale', 'aria-hidden': 'true' }, el('span', {}, String(max)), el('span', {}, '0')),
      el(
        'div',
        { class: 'chart-plot' },
        chart,
        el('div', { class: 'chart-times', 'aria-hidden': 'true' }, el('span', {}, points[0] ? clock(points[0].start) : ''), el('span', {}, 'now')),
      ),
    ),
    el('ul', { class: 'legend' }, OUTCOMES.map((k) => el('li', {}, el('span', { class: `swatch bar-${k}`, 'aria-hidden': 'true' }), `${OUTCOME_LABELS[k]}: ${totals[k]}`))),
  );
}

/**
 * Find an event, a delivery or an endpoint by its id: the prefix says which (`dlv_`, `ep_`; anything else is an
 * event id, Herald's or the client's own).
 */
function findForm() {
  const input = el('input', { id: 'find-id', name: 'id', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'evt_…, dlv_…, ep_… or your own id' });
  const form = el(
    'form',
    { class: 'inline-form find-form', role: 'search', 'aria-label': 'Find by id' },
    el('label', { for: 'find-id' }, 'Find an event, delivery or endpoint by id'),
    input,
    el('button', { type: 'submit', class: 'secondary' }, 'Find'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = /** @type {HTMLInputElement} */ (input).value.trim();
    if (id === '') {
      input.focus();
      return;
    }
    const kind = id.startsWith('dlv_') ? 'deliveries' : id.startsWith('ep_') ? 'endpoints' : 'events';
    go(hashOf(kind, id));
  });
  return form;
}

const FAILING_COLUMNS = ['Endpoint', 'Tenant', 'Status', 'Circuit', 'Consecutive failures', 'Success (24 h)'];

/** A figure with a second, smaller line under it (always there, so a figure's height never changes). */
function figure(value, note) {
  return el('span', { class: 'stacked' }, value, el('span', { class: 'reason' }, note));
}

/**
 * The overview's figures; with `o` null, the same list with placeholders (same lines, so filling it in moves nothing).
 * @param {any} o the GET /v1/overview answer, or null while it loads
 */
function overviewFigures(o) {
  const q = o?.queue;
  const dead = o?.deadLetters;
  const examined = o ? `of ${o.endpoints.examined}${o.endpoints.truncated ? ' (the newest)' : ''}` : '…';
  return defList(
    [
      ['Failing endpoints', figure(o ? String(o.endpoints.failingCount) : '…', examined)],
      ['Disabled endpoints', figure(o ? String(o.endpoints.disabledCount) : '…', examined)],
      ['Open circuits', figure(o ? String(o.endpoints.openCircuitCount) : '…', 'deliveries parked until a probe passes')],
      ['Dead letters', figure(!dead ? '…' : dead.count > 0 ? link(`${dead.count}${dead.atLeast ? '+' : ''}`, 'dead') : '0', 'given up, not redelivered')],
      [
        'Waiting on the queues',
        figure(!o ? '…' : q ? String(q.visible + q.delayed + q.inFlight) : 'unknown', `${q?.visible ?? '…'} ready · ${q?.delayed ?? '…'} on a timer · ${q?.inFlight ?? '…'} in flight`),
      ],
      ['Queue lag', figure(!o ? '…' : q && q.lagMs !== null ? durationText(q.lagMs) : '—', 'longest wait, last 5 min')],
    ],
    'facts figures',
  );
}

/** Zero counts for `count` periods of `periodMs` ending now: the charts' shape while the overview loads. */
function emptySeries(count, periodMs) {
  const end = Math.floor(Date.now() / periodMs) * periodMs + periodMs;
  return Array.from({ length: count }, (_, i) => ({ start: new Date(end - (count - i) * periodMs).toISOString(), delivered: 0, failed: 0, dead: 0, canceled: 0 }));
}

/** Both charts and where their numbers come from; with `history` null, empty charts of the same shape. */
function overviewCharts(history) {
  const source = !history ? '…' : history.source === 'cloudwatch' ? 'From the Herald metrics in CloudWatch (they arrive about a minute late).' : 'Counted by this process since it started (local mode).';
  return [
    el(
      'div',
      { class: 'charts' },
      outcomeChart(history ? history.lastHour : emptySeries(60, 60_000), 'Last hour, per minute', 'chart-hour'),
      outcomeChart(history ? history.lastDay : emptySeries(96, 900_000), 'Last day, per 15 minutes', 'chart-day'),
    ),
    el('p', { class: 'help' }, source),
  ];
}

function overviewView(ctx) {
  const figuresSlot = el('div', { class: 'figures-slot', 'aria-busy': 'true' }, overviewFigures(null));
  const chartsSlot = el('div', { class: 'charts-slot', 'aria-busy': 'true' }, overviewCharts(null));
  const failingSlot = el('div', { class: 'load-slot', 'aria-busy': 'true' }, skeletonTable(3));
  setView('Overview', [
    findForm(),
    figuresSlot,
    el('section', { 'aria-labelledby': 'charts-title' }, el('h2', { id: 'charts-title' }, 'Deliveries by outcome'), chartsSlot),
    el('section', { 'aria-labelledby': 'failing-title' }, el('h2', { id: 'failing-title' }, 'Failing endpoints'), failingSlot),
  ]);
  /** The failing endpoints' stats slots, kept across refreshes so their sparklines do not flicker. */
  const statSlots = new Map();
  const load = async () => {
    const o = await api('GET', 'v1/overview', { signal: ctx.signal });
    if (!ctx.alive()) return;
    figuresSlot.replaceChildren(overviewFigures(o));
    figuresSlot.setAttribute('aria-busy', 'false');
    chartsSlot.replaceChildren(...(o.history ? overviewCharts(o.history) : [el('p', { class: 'empty' }, 'This deployment keeps no delivery history the API can read.')]));
    chartsSlot.setAttribute('aria-busy', 'false');
    const rows = o.endpoints.failing.map((ep) => {
      let slots = statSlots.get(ep.id);
      if (!slots) {
        slots = statsSlots();
        statSlots.set(ep.id, slots);
        void loadStats(ctx, ep.id, slots);
      }
      return row(FAILING_COLUMNS, [
        link(String(ep.url), 'endpoints', ep.id),
        ep.tenant ? String(ep.tenant) : el('span', { class: 'muted' }, 'none'),
        endpointStatusCell(ep),
        circuitCell(ep),
        String(ep.health?.consecutiveFailures ?? 0),
        slots.cell,
      ]);
    });
    failingSlot.replaceChildren(rows.length === 0 ? el('p', { class: 'empty' }, 'No endpoint is failing, open-circuited or disabled.') : table(FAILING_COLUMNS, rows, 'Failing endpoints first, then open circuits and disabled ones'));
    failingSlot.setAttribute('aria-busy', 'false');
  };
  load().catch((error) => loadFailed(ctx, failingSlot, error));
  ctx.every(OVERVIEW_POLL_MS, load);
}

/** `1234` → `1.2 s`, `65000` → `1 min 5 s`. */
function durationText(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

// ---------------------------------------------------------------------------------------------------------------
// Start.

document.getElementById('forget-key')?.addEventListener('click', () => {
  forgetKey(null);
});

applyPortalChrome();

// The skip link must not change the hash (the hash is the route).
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  const target = document.getElementById('view-title') ?? document.getElementById('main');
  target?.focus();
});

window.addEventListener('hashchange', () => route());

route();
