import { describe, expect, it } from 'vitest';
import { endpointRequestSchemas, type EndpointRules } from '../../../../lambdas/api/schemas/endpoint';
import { jsonDepth, MAX_DATA_DEPTH, publishRequestSchema } from '../../../../lambdas/api/schemas/event';
import { emptyBodySchema, idempotencyKeySchema, listEndpointDeliveriesQuerySchema, recoverRequestSchema } from '../../../../lambdas/api/schemas/query';
import { check } from '../../../../lambdas/api/schemas/zod-issues';
import { canonicalJson } from '../../../../lambdas/use-cases/api/canonical-json';
import { eventIdentity, eventKeysOf } from '../../../../lambdas/use-cases/api/event-key';
import { deliveryId, parseDeliveryId } from '../../../../lambdas/core/ids';
import { requestFingerprint as requestHash } from '../../../../lambdas/use-cases/api/publish-event';
import { isId } from '../../../../lambdas/core/ids';

const validateCreateEndpoint = (body: unknown, r: EndpointRules) => check(endpointRequestSchemas(r).create, body);
const validateUpdateEndpoint = (body: unknown, r: EndpointRules) => check(endpointRequestSchemas(r).update, body);
const validatePublish = (body: unknown) => check(publishRequestSchema, body);
const validateRecover = (body: unknown) => check(recoverRequestSchema, body);
const validateEmptyBody = (body: unknown) => check(emptyBodySchema, body ?? {});
const validateIdempotencyKey = (header: string | undefined) => (header === undefined ? { ok: true, value: undefined } : check(idempotencyKeySchema, header));

const rules: EndpointRules = { allowPrivateTargets: false, defaultRetryPolicy: undefined };
const paths = (r: { ok: true } | { ok: false; error: { path: string }[] }) => (r.ok ? [] : r.error.map((e) => e.path));

describe('endpoint schema', () => {
  it('applies the defaults to a minimal endpoint', () => {
    expect(validateCreateEndpoint({ url: 'https://example.com/h' }, rules)).toEqual({
      ok: true,
      value: {
        url: 'https://example.com/h',
        description: '',
        eventTypes: ['*'],
        tenant: '',
        retryPolicy: {},
        timeoutMs: 15000,
        headers: {},
        disabled: false,
        payloadFormat: 'standard',
      },
    });
  });

  it('takes "all" as an alias of "*" (Cryptr’s event_codes[]=all), stored as "*"', () => {
    const all = validateCreateEndpoint({ url: 'https://example.com', eventTypes: ['all'] }, rules);
    expect(all.ok && all.value.eventTypes).toEqual(['*']);
    const both = validateCreateEndpoint({ url: 'https://example.com', eventTypes: ['*', 'all', 'a.b'] }, rules);
    expect(both.ok && both.value.eventTypes).toEqual(['*', 'a.b']);
  });

  it.each([
    ['cryptr', []],
    ['data', []],
    ['standard', []],
    ['json', ['payloadFormat']],
    [1, ['payloadFormat']],
  ])('payloadFormat %j', (payloadFormat, expected) => {
    expect(paths(validateCreateEndpoint({ url: 'https://example.com', payloadFormat }, rules))).toEqual(expected);
  });

  it.each([
    ['http://example.com', ['url']],
    ['https://169.254.169.254/', ['url']],
    ['https://[::1]/', ['url']],
    ['https://192.168.1.10/', ['url']],
    ['https://example.com/ok', []],
  ])('checks the target URL %s', (url, expected) => {
    expect(paths(validateCreateEndpoint({ url }, rules))).toEqual(expected);
  });

  it('lets the deployment allow private targets', () => {
    expect(validateCreateEndpoint({ url: 'http://localhost:3000/h' }, { ...rules, allowPrivateTargets: true }).ok).toBe(true);
  });

  it.each([
    ['x-ok', 'v', []],
    ['Authorization', 'Bearer t', []],
    ['host', 'evil', ['headers.host']],
    ['Transfer-Encoding', 'chunked', ['headers.Transfer-Encoding']],
    ['Webhook-Id', 'x', ['headers.Webhook-Id']],
    ['x-nl', 'a\nb', ['headers.x-nl']],
    ['x-nul', 'a\u0000b', ['headers.x-nul']],
    ['x(y)', 'v', ['headers.x(y)']],
    ['constructor', 'v', ['headers.constructor']],
    ['Constructor', 'v', ['headers.Constructor']],
  ])('checks header %s', (name, value, expected) => {
    expect(paths(validateCreateEndpoint({ url: 'https://example.com', headers: { [name]: value } }, rules))).toEqual(expected);
  });

  it('refuses a __proto__ header name (as JSON.parse makes it: an own property) and builds header maps without a prototype', () => {
    const body = JSON.parse('{"url":"https://example.com","headers":{"__proto__":{"polluted":"yes"}}}') as unknown;
    expect(new Set(paths(validateCreateEndpoint(body, rules)))).toEqual(new Set(['headers.__proto__']));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const asString = JSON.parse('{"url":"https://example.com","headers":{"__proto__":"v"}}') as unknown;
    expect(paths(validateCreateEndpoint(asString, rules))).toEqual(['headers.__proto__']);
    const ok = validateCreateEndpoint({ url: 'https://example.com', headers: { 'x-a': '1' } }, rules);
    expect(ok.ok && Object.getPrototypeOf(ok.value.headers)).toBeNull();
    expect(ok.ok && { ...ok.value.headers }).toEqual({ 'x-a': '1' });
  });

  it.each([
    ['https://exa\tmple.com/a\r\nb', 'https://example.com/ab'],
    ['  https://Example.COM:443/p?q=1\n', 'https://example.com/p?q=1'],
    ['https://example.com', 'https://example.com/'],
  ])('stores the URL %j in its parsed form %j (CR, LF and TAB stripped as WHATWG parsing does)', (sent, stored) => {
    const url = sent;
    const checked = validateCreateEndpoint({ url }, rules);
    expect(checked.ok && checked.value.url).toBe(stored);
    const patched = validateUpdateEndpoint({ url }, rules);
    expect(patched.ok && patched.value.url).toBe(stored);
  });

  it("refuses a change of the tenant: an endpoint's tenant is fixed at creation", () => {
    for (const tenant of ['other', null, 'acme']) {
      const result = validateUpdateEndpoint({ tenant }, rules);
      expect(paths(result)).toEqual(['tenant']);
      expect(!result.ok && result.error[0]!.message).toMatch(/cannot be changed/);
    }
    expect(paths(validateUpdateEndpoint({ tenant: 'x', timeoutMs: 1 }, rules))).toEqual(['timeoutMs', 'tenant']);
  });

  it('dedupes event type patterns and reports retry policy problems under retryPolicy', () => {
    const ok = validateCreateEndpoint({ url: 'https://example.com', eventTypes: ['a.*', 'a.*', 'b'] }, rules);
    expect(ok.ok && ok.value.eventTypes).toEqual(['a.*', 'b']);
    expect(paths(validateCreateEndpoint({ url: 'https://example.com', retryPolicy: { delays: ['1h'], maxAttempts: 5 } }, rules))).toEqual([
      'retryPolicy.maxAttempts',
    ]);
  });

  it('PATCH takes any subset of the fields but not none, and nothing unknown', () => {
    expect(validateUpdateEndpoint({ description: 'x' }, rules)).toEqual({ ok: true, value: { description: 'x' } });
    expect(paths(validateUpdateEndpoint({}, rules))).toEqual(['']);
    expect(paths(validateUpdateEndpoint({ id: 'ep_1' }, rules))).toEqual(['id']);
  });
});

describe('publish schema', () => {
  it.each([
    [{ type: 'a.b', data: null }, []],
    [{ type: 'a.b', data: 0, tenant: 'org_1:eu-west', id: 'evt-1.2' }, []],
    [{ type: 'a b', data: {} }, ['type']],
    [{ type: '', data: {} }, ['type']],
    [{ data: {} }, ['type']],
    [{ type: 'a.b' }, ['data']],
    [{ type: 'a.b', data: {}, tenant: '' }, ['tenant']],
    [{ type: 'a.b', data: {}, id: 'a'.repeat(129) }, ['id']],
    [{ type: 'a.b', data: {}, event: 'x' }, ['event']],
    [{ type: 'a.b', data: {}, params: { page: 1 }, errors: [{ code: 'x' }] }, []],
    [{ type: 'a.b', data: {}, params: [], errors: {} }, ['params', 'errors']],
    [{ type: 'a.b', data: {}, params: 'x', errors: null }, ['params', 'errors']],
    ['a string', ['']],
  ])('%j → %j', (body, expected) => {
    expect(paths(validatePublish(body))).toEqual(expected);
  });

  it('treats a null tenant as no tenant', () => {
    expect(validatePublish({ type: 'a.b', data: {}, tenant: null })).toEqual({ ok: true, value: { type: 'a.b', data: {}, tenant: '' } });
  });

  it('hashes the canonical request: key order and formatting do not matter, content does', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    const base = requestHash({ type: 'a.b', data: { x: 1, y: 2 }, tenant: '' });
    expect(requestHash({ type: 'a.b', data: { y: 2, x: 1 }, tenant: '' })).toBe(base);
    expect(requestHash({ type: 'a.b', data: { x: 1, y: 3 }, tenant: '' })).not.toBe(base);
    expect(requestHash({ type: 'a.b', data: { x: 1, y: 2 }, tenant: 't' })).not.toBe(base);
    expect(requestHash({ type: 'a.b', data: { x: 1, y: 2 }, tenant: '', id: 'e1' })).not.toBe(base);
    expect(requestHash({ type: 'a.b', data: { x: 1, y: 2 }, tenant: '', params: {} })).not.toBe(base);
    expect(requestHash({ type: 'a.b', data: { x: 1, y: 2 }, tenant: '', errors: [] })).not.toBe(base);
  });

  it('derives delivery ids from (event key, endpoint): the same pair always, another pair never, and back', () => {
    const ep1 = 'ep_01HZX3K5B2W8Q4N7M9R6T0V1YA';
    const ep2 = 'ep_01HZX3K5B2W8Q4N7M9R6T0V1YB';
    const { key } = eventIdentity({ tenant: 't', idempotencyKey: 'k1' }, 0, () => new Uint8Array(10));
    const id = deliveryId(key, ep1);
    expect(isId('dlv', id)).toBe(true);
    expect(parseDeliveryId(id)).toEqual({ eventKey: key, endpointId: ep1 });
    expect(deliveryId(key, ep2)).not.toBe(id);
    expect(deliveryId(eventIdentity({ tenant: 't', idempotencyKey: 'k2' }, 0, () => new Uint8Array(10)).key, ep1)).not.toBe(id);
  });

  it('scopes event keys by tenant: the same Idempotency-Key or id in two tenants names two events', () => {
    const random = () => new Uint8Array(10);
    const a = eventIdentity({ tenant: 'a', idempotencyKey: 'k' }, 0, random);
    const b = eventIdentity({ tenant: 'b', idempotencyKey: 'k' }, 0, random);
    expect(a.key).not.toBe(b.key);
    expect(isId('evt', a.id)).toBe(true);
    expect(eventIdentity({ tenant: 'a', idempotencyKey: 'k' }, 0, random)).toEqual(a);
    const c = eventIdentity({ tenant: 'a', id: 'order-1' }, 0, random);
    const d = eventIdentity({ tenant: 'b', id: 'order-1' }, 0, random);
    expect([c.id, d.id]).toEqual(['order-1', 'order-1']);
    expect(c.key).not.toBe(d.key);
    expect(eventKeysOf('order-1', 'a')).toEqual([c.key]);
    // A batch's per-event keys differ from each other and from the single-publish key.
    const first = eventIdentity({ tenant: 'a', idempotencyKey: 'k' }, 0, random, 0);
    const second = eventIdentity({ tenant: 'a', idempotencyKey: 'k' }, 0, random, 1);
    expect(new Set([a.key, first.key, second.key]).size).toBe(3);
    // A generated id locates itself.
    const generated = eventIdentity({ tenant: 'a' }, 1_900_000_000_000, () => new Uint8Array(10).fill(7));
    expect(eventKeysOf(generated.id, 'zzz')[0]).toBe(generated.key);
  });
});

describe('other request parts', () => {
  it.each([
    [{}, { limit: 20 }],
    [{ limit: '1' }, { limit: 1 }],
    [{ limit: '100', cursor: 'abc', status: 'dead' }, { limit: 100, cursor: 'abc', status: 'dead' }],
  ])('list query %j', (query, value) => {
    expect(check(listEndpointDeliveriesQuerySchema, query)).toEqual({ ok: true, value });
  });

  it.each([[{ limit: '0' }], [{ limit: '101' }], [{ limit: '1.5' }], [{ limit: '' }], [{ cursor: '' }], [{ offset: '3' }]])(
    'rejects list query %j',
    (query) => {
      expect(check(listEndpointDeliveriesQuerySchema, query).ok).toBe(false);
    },
  );

  it('reads recover times as ISO-8601 only', () => {
    expect(validateRecover({ since: '2030-01-01T00:00:00Z' })).toEqual({ ok: true, value: { since: Date.UTC(2030, 0, 1) } });
    expect(validateRecover({ since: '2030-01-01T02:00:00.500+02:00' })).toEqual({ ok: true, value: { since: Date.UTC(2030, 0, 1, 0, 0, 0, 500) } });
    expect(paths(validateRecover({ since: 1893456000000 }))).toEqual(['since']);
    expect(paths(validateRecover({ since: 'Jan 1 2030' }))).toEqual(['since']);
  });

  it('checks Idempotency-Key and empty bodies', () => {
    expect(validateIdempotencyKey(undefined)).toEqual({ ok: true, value: undefined });
    expect(validateIdempotencyKey('order-7 retry')).toEqual({ ok: true, value: 'order-7 retry' });
    expect(validateIdempotencyKey('k'.repeat(256)).ok).toBe(false);
    expect(validateIdempotencyKey('').ok).toBe(false);
    expect(validateEmptyBody(undefined).ok).toBe(true);
    expect(validateEmptyBody({}).ok).toBe(true);
    expect(paths(validateEmptyBody({ a: 1 }))).toEqual(['a']);
  });
});

describe('event data nesting', () => {
  it('accepts data nested exactly MAX_DATA_DEPTH levels and refuses one level more, without recursion', async () => {
    const nest = (levels: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { k: v };
      return v;
    };
    expect(jsonDepth(nest(MAX_DATA_DEPTH), MAX_DATA_DEPTH)).toBe(MAX_DATA_DEPTH);
    expect(validatePublish({ type: 'a.b', data: nest(MAX_DATA_DEPTH) }).ok).toBe(true);
    expect(validatePublish({ type: 'a.b', data: nest(MAX_DATA_DEPTH + 1) })).toEqual({
      ok: false,
      error: [{ path: 'data', message: `nests deeper than ${MAX_DATA_DEPTH} levels of objects and arrays` }],
    });
    // 100,000 levels would overflow any recursive walk; the check stops early.
    expect(jsonDepth(nest(100_000), MAX_DATA_DEPTH)).toBe(MAX_DATA_DEPTH + 1);
  });
});
