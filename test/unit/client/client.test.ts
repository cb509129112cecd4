import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeraldApiError, HeraldClient, retryAfterMs } from '../../../client/index';

type Doc = { paths: Record<string, Record<string, { operationId: string }>> };
const DOC = JSON.parse(readFileSync(join(import.meta.dirname, '../../../openapi.json'), 'utf8')) as Doc;

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** A fetch that records every request and answers from a script (the last answer repeats). */
function fakeFetch(answers: (Response | Error)[]) {
  const sent: Sent[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ method: init.method ?? 'GET', url, headers: init.headers as Record<string, string>, ...(init.body === undefined ? {} : { body: init.body as string }) });
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (answer instanceof Error) throw answer;
    return answer.clone();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('HeraldClient against the OpenAPI document', () => {
  it('calls every documented operation, each with its documented method and path', async () => {
    const { fetch, sent } = fakeFetch([json(200, { data: [], nextCursor: null })]);
    const client = new HeraldClient({ url: 'http://herald.test/', apiKey: 'k', fetch });
    await client.health();
    await client.openApiDocument();
    await client.createEndpoint({ url: 'https://example.com' });
    await client.listEndpoints({ tenant: 'acme', limit: 5 });
    await client.getEndpoint('ep_1');
    await client.updateEndpoint('ep_1', { disabled: true });
    await client.deleteEndpoint('ep_1');
    await client.rotateSecret('ep_1');
    await client.sendTestEvent('ep_1');
    await client.recover('ep_1', '2026-01-01T00:00:00Z');
    await client.endpointStats('ep_1');
    await client.listEndpointDeliveries('ep_1', { status: 'dead' });
    await client.publish({ type: 'a.b', data: {} });
    await client.publishBatch({ events: [{ type: 'a.b', data: {} }] });
    await client.getEvent('evt_1');
    await client.getEvent('mine-1', { tenant: 'acme' });
    await client.listDeadLetters();
    await client.getDelivery('dlv_1');
    await client.retryDelivery('dlv_1');
    await client.createApiKey({ scopes: ['read'] });
    await client.putEventType('a.b', { description: 'x' });
    await client.getEventType('a.b');
    await client.deleteEventType('a.b');
    await client.listEventTypes();
    await client.listApiKeys();
    await client.revokeApiKey('key_1');
    await client.createPortalSession('acme', { title: 'Acme' });
    await client.session();
    await client.overview();
    await client.putTenantContacts('acme', { email: 'ops@acme.example' });
    await client.getTenantContacts('acme');
    await client.deleteTenantContacts('acme');

    const called = sent.map((s) => {
      const path = new URL(s.url).pathname;
      const template = Object.keys(DOC.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
      return template === undefined ? `unknown ${s.method} ${path}` : DOC.paths[template]![s.method.toLowerCase()]?.operationId ?? `unknown ${s.method} ${path}`;
    });
    const documented = Object.values(DOC.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    expect([...new Set(called)].sort()).toEqual(documented.sort());
    expect(sent.find((s) => s.url.includes('/v1/endpoints?'))!.url).toBe('http://herald.test/v1/endpoints?tenant=acme&limit=5');
    expect(sent.find((s) => s.url.endsWith('/health'))!.headers.authorization).toBeUndefined();
    expect(sent.find((s) => s.url.endsWith('/v1/events'))!.headers.authorization).toBe('Bearer k');
    expect(sent.find((s) => s.url.endsWith('/v1/events/batch'))!.headers['idempotency-key']).toMatch(/\S/);
    expect(sent.find((s) => s.url.includes('/v1/events/mine-1'))!.url).toBe('http://herald.test/v1/events/mine-1?tenant=acme');
    expect(sent.find((s) => s.url.endsWith('/v1/tenants/acme/portal-sessions'))).toMatchObject({ method: 'POST', body: '{"title":"Acme"}' });
    expect(sent.find((s) => s.method === 'PUT' && s.url.endsWith('/v1/tenants/acme/contacts'))!.body).toBe('{"email":"ops@acme.example"}');
  });
});

describe('HeraldClient retries', () => {
  it('retries a 503 after its Retry-After with the same Idempotency-Key', async () => {
    const { fetch, sent } = fakeFetch([json(503, { error: { code: 'unavailable', message: 'retry', details: [] } }, { 'retry-after': '2' }), json(202, { id: 'evt_1', deliveries: [] }, { 'idempotent-replayed': 'true' })]);
    const waits: number[] = [];
    const client = new HeraldClient({ url: 'http://h', apiKey: 'k', fetch, sleep: async (ms) => void waits.push(ms), newIdempotencyKey: () => 'made-once' });
    const accepted = await client.publish({ type: 'a.b', data: 1 });
    expect(accepted).toMatchObject({ id: 'evt_1', replayed: true });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['made-once', 'made-once']);
    expect(sent[0]!.body).toBe(sent[1]!.body);
    expect(waits).toEqual([2000]);
  });

  it("keeps the caller's key, backs off without Retry-After, and gives up with the 503", async () => {
    const { fetch, sent } = fakeFetch([json(503, { error: { code: 'unavailable', message: 'Herald could not store the request', details: [] } })]);
    const waits: number[] = [];
    const client = new HeraldClient({ url: 'http://h', fetch, maxRetries: 3, sleep: async (ms) => void waits.push(ms) });
    const error = await client.publish({ type: 'a.b', data: 1 }, { idempotencyKey: 'mine' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldApiError);
    expect(error).toMatchObject({ status: 503, code: 'unavailable' });
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((s) => s.headers['idempotency-key']))).toEqual(new Set(['mine']));
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('retries network errors of publishes and reads, never of other writes', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const publish = fakeFetch([refused, json(202, { id: 'evt_1', deliveries: [] })]);
    await new HeraldClient({ url: 'http://h', fetch: publish.fetch, sleep: async () => {} }).publish({ type: 'a.b', data: 1 });
    expect(publish.sent).toHaveLength(2);
    const create = fakeFetch([refused, json(201, {})]);
    const error = await new HeraldClient({ url: 'http://h', fetch: create.fetch, sleep: async () => {} }).createEndpoint({ url: 'https://x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, code: 'network_error', message: 'could not reach http://h: ECONNREFUSED' });
    expect(create.sent).toHaveLength(1);
  });

  it('turns error bodies into HeraldApiError with their details', async () => {
    const { fetch } = fakeFetch([json(400, { error: { code: 'validation_failed', message: 'invalid endpoint', details: [{ path: 'url', message: 'is required' }] } })]);
    await expect(new HeraldClient({ url: 'http://h', fetch }).createEndpoint({} as never)).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
      details: [{ path: 'url', message: 'is required' }],
    });
  });

  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Tue, 01 Dec 2026 04:00:10 GMT', 10_000],
    ['soon', undefined],
    [null, undefined],
  ])('reads Retry-After %j as %j ms', (header, ms) => {
    expect(retryAfterMs(header, Date.parse('2026-12-01T04:00:00Z'))).toBe(ms);
  });
});
