/**
 * The contract test: local mode driven over HTTP through every operation, and every real answer validated
 * against the schema the checked-in openapi.json declares for that route and status. An answer with a status
 * the document does not list for its route fails too.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHerald, type LocalHerald } from '../../../local/herald-local';
import type { Logger } from '../../../lambdas/logger';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
const DOC = JSON.parse(readFileSync(join(import.meta.dirname, '../../../openapi.json'), 'utf8')) as Doc;
const KEY = 'hk_contract_0123456789abcdef';
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(DOC, 'openapi.json');

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The documented path template a concrete path matches (`/v1/endpoints/ep_1` → `/v1/endpoints/{id}`). */
function templateOf(path: string): string | undefined {
  return Object.keys(DOC.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
}

interface Seen {
  readonly route: string;
  readonly status: number;
}

describe('contract: every real answer matches the OpenAPI document', () => {
  let herald: LocalHerald;
  let receiver: Server;
  let receiverUrl: string;
  let receiverStatus = 200;
  const seen: Seen[] = [];
  const violations: string[] = [];

  /** Calls the API and validates the answer against the document; returns status, body and headers. */
  async function call(method: string, path: string, options: { body?: unknown; raw?: string; contentType?: string; key?: string | null; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== null) headers.authorization = `Bearer ${options.key ?? KEY}`;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${herald.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const json = (await response.json()) as unknown;
    const template = templateOf(path.split('?')[0] as string);
    const route = `${method} ${template ?? path}`;
    seen.push({ route, status: response.status });
    const operation = template === undefined ? undefined : DOC.paths[template]?.[method.toLowerCase()];
    if (operation === undefined) {
      violations.push(`${route}: not in the document`);
    } else if (operation.responses[String(response.status)] === undefined) {
      violations.push(`${route}: status ${response.status} is not documented (${JSON.stringify(json).slice(0, 200)})`);
    } else {
      const ref = `openapi.json#/${pointer('paths', template as string, method.toLowerCase(), 'responses', String(response.status), 'content', 'application/json', 'schema')}`;
      const validate = ajv.getSchema(ref);
      if (validate === undefined) violations.push(`${route} ${response.status}: no schema`);
      else if (!validate(json)) violations.push(`${route} ${response.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(json).slice(0, 300)}`);
    }
    return { status: response.status, body: json as any, headers: response.headers };
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(receiverStatus).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    herald = await startLocalHerald({ port: 0, apiKey: KEY, logger: quiet, printAlert: () => {}, env: { HERALD_MAX_PAYLOAD_BYTES: '2048' } });
  });

  afterAll(async () => {
    await herald?.stop();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = await read();
      if (done(value)) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out waiting for local mode');
  }

  it('drives every operation, its successes and its errors', async () => {
    expect((await call('GET', '/health', { key: null })).status).toBe(200);
    expect((await call('GET', '/v1/openapi.json', { key: null })).status).toBe(200);
    expect((await call('GET', '/v1/endpoints', { key: 'wrong' })).status).toBe(401);

    // Endpoints
    const created = await call('POST', '/v1/endpoints', { body: { url: receiverUrl, eventTypes: ['order.*'], tenant: 'acme', retryPolicy: { delays: ['1s'] } } });
    expect(created.status).toBe(201);
    const ep = created.body.id as string;
    expect((await call('POST', '/v1/endpoints', { body: { url: 'ftp://x', colour: 1 } })).status).toBe(400);
    expect((await call('POST', '/v1/endpoints', { raw: 'url=x', contentType: 'text/plain' })).status).toBe(415);
    expect((await call('POST', '/v1/endpoints', { raw: '{"url": ' })).status).toBe(400);
    expect((await call('POST', '/v1/endpoints', { body: { url: receiverUrl, description: 'x'.repeat(3000) } })).status).toBe(413);
    expect((await call('GET', '/v1/endpoints?tenant=acme&limit=1')).status).toBe(200);
    expect((await call('GET', '/v1/endpoints?limit=0')).status).toBe(400);
    expect((await call('GET', `/v1/endpoints/${ep}`)).status).toBe(200);
    expect((await call('GET', '/v1/endpoints/ep_missing')).status).toBe(404);
    expect((await call('PATCH', `/v1/endpoints/${ep}`, { body: { description: 'orders' } })).status).toBe(200);
    expect((await call('PATCH', `/v1/endpoints/${ep}`, { body: {} })).status).toBe(400);
    expect((await call('POST', `/v1/endpoints/${ep}/rotate-secret`)).status).toBe(200);
    expect((await call('POST', `/v1/endpoints/${ep}/rotate-secret`, { body: { now: true } })).status).toBe(400);

    // Events and deliveries
    const published = await call('POST', '/v1/events', { body: { type: 'order.paid', data: { n: 1 }, tenant: 'acme' }, headers: { 'idempotency-key': 'k-1' } });
    expect(published.status).toBe(202);
    const replay = await call('POST', '/v1/events', { body: { type: 'order.paid', data: { n: 1 }, tenant: 'acme' }, headers: { 'idempotency-key': 'k-1' } });
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([202, 'true']);
    expect((await call('POST', '/v1/events', { body: { type: 'order.paid', data: { n: 2 }, tenant: 'acme' }, headers: { 'idempotency-key': 'k-1' } })).status).toBe(409);
    expect((await call('POST', '/v1/events', { body: { type: 'order paid' } })).status).toBe(400);
    const eventId = published.body.id as string;
    const deliveryId = published.body.deliveries[0].id as string;
    expect((await call('GET', `/v1/events/${eventId}`)).status).toBe(200);
    expect((await call('GET', '/v1/events/evt_missing')).status).toBe(404);
    const batch = await call('POST', '/v1/events/batch', {
      body: { events: [{ type: 'order.paid', data: { n: 3 }, tenant: 'acme' }, { type: 'order.paid', data: { n: 4 }, tenant: 'acme', id: 'order-4' }] },
      headers: { 'idempotency-key': 'k-batch' },
    });
    expect([batch.status, batch.body.events.length]).toEqual([202, 2]);
    expect((await call('GET', '/v1/events/order-4?tenant=acme')).status).toBe(200);
    expect((await call('POST', '/v1/events/batch', { body: { events: [] } })).status).toBe(400);
    const delivered = await waitFor(() => call('GET', `/v1/deliveries/${deliveryId}`), (r) => r.body.status === 'delivered');
    expect(delivered.body.attempts).toHaveLength(1);
    expect((await call('GET', '/v1/deliveries/dlv_missing')).status).toBe(404);
    expect((await call('POST', `/v1/deliveries/${deliveryId}/retry`)).status).toBe(202);

    // A dead letter: the receiver fails both attempts of a one-delay policy.
    receiverStatus = 500;
    const failing = await call('POST', '/v1/endpoints/' + ep + '/test', { body: { type: 'order.test' } });
    expect(failing.status).toBe(202);
    const deadId = failing.body.deliveries[0].id as string;
    await waitFor(() => call('GET', `/v1/deliveries/${deadId}`), (r) => r.body.status === 'dead');
    expect((await call('GET', '/v1/deliveries?status=dead')).status).toBe(200);
    expect((await call('GET', '/v1/deliveries')).status).toBe(400);
    expect((await call('GET', `/v1/endpoints/${ep}/deliveries?status=dead`)).status).toBe(200);
    expect((await call('GET', `/v1/endpoints/${ep}/deliveries?status=lost`)).status).toBe(400);
    expect((await call('GET', `/v1/endpoints/${ep}/stats`)).status).toBe(200);
    receiverStatus = 200;
    expect((await call('POST', `/v1/endpoints/${ep}/recover`, { body: { since: '2020-01-01T00:00:00Z' } })).status).toBe(202);
    expect((await call('POST', `/v1/endpoints/${ep}/recover`, { body: { since: 'yesterday' } })).status).toBe(400);

    // Conflicts: a test event to a disabled endpoint.
    expect((await call('PATCH', `/v1/endpoints/${ep}`, { body: { disabled: true } })).status).toBe(200);
    expect((await call('POST', `/v1/endpoints/${ep}/test`)).status).toBe(409);
    expect((await call('DELETE', `/v1/endpoints/${ep}`)).status).toBe(200);
    expect((await call('DELETE', `/v1/endpoints/${ep}`)).status).toBe(404);

    // The event-type catalog.
    expect((await call('PUT', '/v1/event-types/order.paid', { body: { description: 'paid', schema: { type: 'object' }, example: { n: 1 } } })).status).toBe(201);
    expect((await call('PUT', '/v1/event-types/order.paid', { body: { description: 'paid again' } })).status).toBe(200);
    expect((await call('PUT', '/v1/event-types/order.paid', { body: { colour: 'red' } })).status).toBe(400);
    expect((await call('GET', '/v1/event-types/order.paid')).status).toBe(200);
    expect((await call('GET', '/v1/event-types')).status).toBe(200);
    expect((await call('DELETE', '/v1/event-types/order.paid')).status).toBe(200);
    expect((await call('GET', '/v1/event-types/order.paid')).status).toBe(404);

    // A tenant's contacts: set (with the URL's secret once), replace, read, refuse bad input, remove.
    const contacts = await call('PUT', '/v1/tenants/acme/contacts', { body: { email: 'ops@acme.example', url: receiverUrl } });
    expect([contacts.status, contacts.body.urlSecret]).toEqual([201, expect.stringMatching(/^whsec_/)]);
    const replaced = await call('PUT', '/v1/tenants/acme/contacts', { body: { email: 'ops2@acme.example', url: receiverUrl } });
    expect([replaced.status, replaced.body.urlSecret]).toEqual([200, undefined]);
    expect((await call('PUT', '/v1/tenants/acme/contacts', { body: { email: 'not-an-address' } })).status).toBe(400);
    expect((await call('GET', '/v1/tenants/acme/contacts')).body).toMatchObject({ tenant: 'acme', email: 'ops2@acme.example', url: receiverUrl });
    expect((await call('DELETE', '/v1/tenants/acme/contacts')).status).toBe(200);
    expect((await call('GET', '/v1/tenants/acme/contacts')).status).toBe(404);
    expect((await call('DELETE', '/v1/tenants/acme/contacts')).status).toBe(404);

    // Scoped API keys: create, a 403 for a read-only key, list, revoke.
    const created2 = await call('POST', '/v1/keys', { body: { name: 'reader', scopes: ['read'] } });
    expect(created2.status).toBe(201);
    expect((await call('POST', '/v1/keys', { body: { scopes: [] } })).status).toBe(400);
    expect((await call('POST', '/v1/endpoints', { body: { url: receiverUrl }, key: created2.body.key })).status).toBe(403);
    expect((await call('GET', '/v1/keys')).status).toBe(200);
    expect((await call('DELETE', `/v1/keys/${created2.body.id}`)).status).toBe(200);

    // Portal sessions: minted by the admin key (201; 400 for a bad lifetime); the token reads its session and its
    // tenant's endpoints, is refused publishing (403), another tenant's endpoint (404), and when tampered (401).
    const minted = await call('POST', '/v1/tenants/acme/portal-sessions', { body: { ttlSeconds: 600, title: 'Acme' } });
    expect(minted.status).toBe(201);
    expect(minted.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/#portal=hps_/);
    expect((await call('POST', '/v1/tenants/acme/portal-sessions', { body: { ttlSeconds: 86_401 } })).status).toBe(400);
    const session = await call('GET', '/v1/session', { key: minted.body.token });
    expect(session.body).toMatchObject({ kind: 'portal_session', tenant: 'acme', title: 'Acme' });
    expect((await call('GET', '/v1/session')).body).toMatchObject({ kind: 'deployment_key', tenant: null });
    const acmeEndpoint = await call('POST', '/v1/endpoints', { body: { url: receiverUrl }, key: minted.body.token });
    expect([acmeEndpoint.status, acmeEndpoint.body.tenant]).toEqual([201, 'acme']);
    expect((await call('POST', '/v1/events', { body: { type: 'a.b', data: {} }, key: minted.body.token })).status).toBe(403);
    const globex = await call('POST', '/v1/endpoints', { body: { url: receiverUrl, tenant: 'globex' } });
    expect((await call('GET', `/v1/endpoints/${globex.body.id}`, { key: minted.body.token })).status).toBe(404);
    expect((await call('GET', '/v1/session', { key: `${minted.body.token.slice(0, -2)}AA` })).status).toBe(401);

    // The overview: local mode keeps the delivery history, so both charts are there; a portal session may not read it.
    const overview = await call('GET', '/v1/overview');
    expect(overview.status).toBe(200);
    expect([overview.body.history.source, overview.body.history.lastHour.length, overview.body.history.lastDay.length]).toEqual(['local', 60, 96]);
    expect((await call('GET', '/v1/overview', { key: minted.body.token })).status).toBe(403);

    expect(violations).toEqual([]);
    // Every documented operation was called and answered with a documented success at least once.
    const documented = Object.entries(DOC.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const succeeded = new Set(seen.filter((s) => s.status < 300).map((s) => s.route));
    expect(documented.filter((route) => !succeeded.has(route))).toEqual([]);
  });

  it('catches a response that breaks the document (the check itself works)', async () => {
    const validate = ajv.getSchema(`openapi.json#/${pointer('paths', '/v1/endpoints/{id}', 'get', 'responses', '200', 'content', 'application/json', 'schema')}`)!;
    const good = (await call('POST', '/v1/endpoints', { body: { url: receiverUrl } })).body;
    const { secret: _secret, ...endpoint } = good;
    expect(validate(endpoint)).toBe(true);
    expect(validate({ ...endpoint, health: undefined })).toBe(false);
    expect(validate({ ...endpoint, surprise: 1 })).toBe(false);
  });
});
