import { MemoryMetrics } from '../../support/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticApiKeys } from '../../../lambdas/adapters/secrets-api-keys';
import { createApiHandler } from '../../../lambdas/api/app';
import type { ApiKeys } from '../../../lambdas/ports';
import type { HttpApiHandler } from '../../../local/api-gateway';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import {
  MemoryLogger,
  TEST_API_KEY,
  TEST_PORTAL_SECRET,
  TestClock,
  apiClient,
  apiEvent,
  createTestApi,
  invoke,
  scanTable,
  type TestApi,
} from '../../support/api-events';

const START = Date.parse('2030-04-01T00:00:00.000Z');

describe('api handler: authentication, routing and error mapping', () => {
  let env: TestEnvironment;
  const clock = new TestClock(START);
  let t: TestApi;

  beforeAll(async () => {
    env = await startTestEnvironment();
    t = createTestApi(env, clock);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('has the handler shape local mode\'s API Gateway stand-in invokes', () => {
    const asLocal: HttpApiHandler = t.handler;
    expect(typeof asLocal).toBe('function');
  });

  it('answers GET /health without a key', async () => {
    const res = await t.api.request('GET', '/health', { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', environment: 'development' });
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('refuses every request without the right bearer key with the same 401', async () => {
    const unauthorized = { error: { code: 'unauthorized', message: 'missing or invalid API key', details: [] } };
    const attempts: (string | null)[] = [
      null,
      '',
      TEST_API_KEY,
      `Basic ${TEST_API_KEY}`,
      'Bearer',
      'Bearer ',
      'Bearer wrong-key',
      `Bearer ${TEST_API_KEY}x`,
      `Bearer ${TEST_API_KEY.slice(0, -1)}`,
      `Bearer ${TEST_API_KEY} extra`,
    ];
    const before = await scanTable(env.clients.doc, env.resources.tableName);
    for (const auth of attempts) {
      for (const [method, path, body] of [
        ['GET', '/v1/endpoints', undefined],
        ['POST', '/v1/endpoints', { url: 'https://example.com/x' }],
        ['POST', '/v1/events', { type: 'a.b', data: {} }],
        ['GET', '/v1/nowhere', undefined],
      ] as const) {
        const res = await t.api.request(method, path, { auth, ...(body === undefined ? {} : { body }) });
        expect({ auth, path, status: res.status, body: res.body }).toEqual({ auth, path, status: 401, body: unauthorized });
      }
    }
    expect(await scanTable(env.clients.doc, env.resources.tableName)).toEqual(before);

    for (const auth of [`Bearer ${TEST_API_KEY}`, `bearer ${TEST_API_KEY}`, `BEARER  ${TEST_API_KEY}`]) {
      expect((await t.api.request('GET', '/v1/endpoints', { auth })).status).toBe(200);
    }
    // Header names are case-insensitive.
    const res = await invoke(t.handler, apiEvent('GET', '/v1/endpoints', { headers: { Authorization: `Bearer ${TEST_API_KEY}` } }));
    expect(res.status).toBe(200);
  });

  it('accepts every key the ApiKeys port holds (current and previous during a rotation)', async () => {
    const handler = createApiHandler({
      doc: env.clients.doc,
      tableName: env.resources.tableName,
      secrets: env.secrets,
      portalSecret: async () => TEST_PORTAL_SECRET,
      queue: t.queue,
      apiKeys: new StaticApiKeys(['current-key', 'previous-key']),
      clock,
      randomBytes: (n) => new Uint8Array(n),
      metrics: new MemoryMetrics(),
      config: { allowPrivateTargets: false, retentionDays: 30 },
      logger: new MemoryLogger(),
    });
    expect((await apiClient(handler, 'current-key').get('/v1/endpoints')).status).toBe(200);
    expect((await apiClient(handler, 'previous-key').get('/v1/endpoints')).status).toBe(200);
    expect((await apiClient(handler, 'older-key').get('/v1/endpoints')).status).toBe(401);
  });

  it('answers 503 (not 401, not 500) when the keys cannot be read', async () => {
    const failing: ApiKeys = { keys: () => Promise.reject(new Error('Secrets Manager throttled')) };
    const logger = new MemoryLogger();
    const handler = createApiHandler({
      doc: env.clients.doc,
      tableName: env.resources.tableName,
      secrets: env.secrets,
      portalSecret: async () => TEST_PORTAL_SECRET,
      queue: t.queue,
      apiKeys: failing,
      clock,
      randomBytes: (n) => new Uint8Array(n),
      metrics: new MemoryMetrics(),
      config: { allowPrivateTargets: false, retentionDays: 30 },
      logger,
    });
    const res = await apiClient(handler, 'any').get('/v1/endpoints');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'unavailable', message: 'Herald could not verify the API key; retry the request', details: [] });
    expect(logger.text()).toContain('Secrets Manager throttled');
  });

  it('answers 404 for an unknown route and 405 (with allow) for a wrong method, in the error shape', async () => {
    const notFound = await t.api.get('/v2/endpoints');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ error: { code: 'not_found', message: 'route not found', details: [] } });
    expect((await t.api.get('/v1/endpoints/ep_1/nothing')).status).toBe(404);

    const wrong = await t.api.request('PUT', '/v1/endpoints');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET');
    expect(wrong.body.error).toEqual({ code: 'method_not_allowed', message: 'PUT is not allowed on /v1/endpoints', details: [] });
    const wrongItem = await t.api.request('POST', '/v1/endpoints/ep_1');
    expect(wrongItem.status).toBe(405);
    expect(wrongItem.headers.allow).toBe('GET, PATCH, DELETE');
    expect((await t.api.request('DELETE', '/v1/events')).status).toBe(405);
  });

  it('maps body problems: 415 without a JSON content type, 400 for bad JSON or UTF-8, 413 over the limit', async () => {
    const small = createTestApi(env, clock, { maxPayloadBytes: 1024 });
    const noType = await invoke(
      t.handler,
      apiEvent('POST', '/v1/endpoints', { body: '{}', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'text/plain' } }),
    );
    expect(noType.status).toBe(415);
    expect(noType.body.error.code).toBe('unsupported_media_type');
    const vendorType = await t.api.request('POST', '/v1/endpoints', {
      body: { url: 'https://example.com/vendor' },
      headers: { 'content-type': 'application/vnd.herald+json; charset=utf-8' },
    });
    expect(vendorType.status).toBe(201);

    const badJson = await t.api.request('POST', '/v1/endpoints', { body: '{"url": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('malformed_json');
    expect(badJson.body.error.message).toMatch(/^request body is not valid JSON/);

    const badUtf8 = await invoke(
      t.handler,
      {
        ...apiEvent('POST', '/v1/endpoints', { headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' } }),
        body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]).toString('base64'),
        isBase64Encoded: true,
      },
    );
    expect(badUtf8.status).toBe(400);
    expect(badUtf8.body.error).toEqual({ code: 'malformed_json', message: 'request body is not valid UTF-8', details: [] });

    const tooBig = await small.api.post('/v1/endpoints', { url: 'https://example.com/x', description: 'd'.repeat(1000) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toEqual({ code: 'payload_too_large', message: 'request body is larger than 1024 bytes', details: [] });
  });

  it('answers an unexpected failure with a bare 500 that leaks nothing, and logs it', async () => {
    const logger = new MemoryLogger();
    const handler = createApiHandler({
      doc: env.clients.doc,
      tableName: env.resources.tableName,
      secrets: env.secrets,
      portalSecret: async () => TEST_PORTAL_SECRET,
      queue: t.queue,
      apiKeys: new StaticApiKeys([TEST_API_KEY]),
      clock,
      // A broken random source: id generation throws a RangeError inside the use case.
      randomBytes: () => new Uint8Array(3),
      metrics: new MemoryMetrics(),
      config: { allowPrivateTargets: false, retentionDays: 30 },
      logger,
    });
    const res = await apiClient(handler, TEST_API_KEY).post('/v1/endpoints', { url: 'https://example.com/x' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal_error', message: 'internal error', details: [] } });
    expect(res.rawBody).not.toMatch(/RangeError|signing key|at /);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'error', message: 'unexpected error', fields: { route: 'POST /v1/endpoints', errorName: 'RangeError' } });
    expect(String(logger.lines[0]!.fields.stack)).toContain('RangeError');
  });

  it('answers 503 with a clear message when DynamoDB fails, without the internal message', async () => {
    const logger = new MemoryLogger();
    const broken = { send: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { name: 'NetworkingError' })) };
    const handler = createApiHandler({
      doc: broken as unknown as DynamoDBDocumentClient,
      tableName: env.resources.tableName,
      secrets: env.secrets,
      portalSecret: async () => TEST_PORTAL_SECRET,
      queue: t.queue,
      apiKeys: new StaticApiKeys([TEST_API_KEY]),
      clock,
      randomBytes: (n) => new Uint8Array(n),
      metrics: new MemoryMetrics(),
      config: { allowPrivateTargets: false, retentionDays: 30 },
      logger,
    });
    const api = apiClient(handler, TEST_API_KEY);

    const read = await api.get('/v1/endpoints');
    expect(read.status).toBe(503);
    expect(read.body.error).toEqual({ code: 'unavailable', message: 'the Herald store is unavailable; retry the request', details: [] });
    const publish = await api.post('/v1/events', { type: 'a.b', data: {} }, { headers: { 'idempotency-key': 'k' } });
    expect(publish.status).toBe(503);
    expect(publish.body.error.message).toBe('Herald could not store or queue the event; retry with the same Idempotency-Key');
    expect(publish.rawBody).not.toContain('ECONNREFUSED');
    expect(logger.text()).toContain('ECONNREFUSED');
  });

  it('redacts signing secrets and bearer tokens from logged errors', async () => {
    const logger = new MemoryLogger();
    const handler = createApiHandler({
      doc: env.clients.doc,
      tableName: env.resources.tableName,
      secrets: env.secrets,
      portalSecret: async () => TEST_PORTAL_SECRET,
      queue: t.queue,
      apiKeys: { keys: () => Promise.reject(new Error('bad value whsec_c2VjcmV0c2VjcmV0 for Bearer abc.def')) },
      clock,
      randomBytes: (n) => new Uint8Array(n),
      metrics: new MemoryMetrics(),
      config: { allowPrivateTargets: false, retentionDays: 30 },
      logger,
    });
    await apiClient(handler, TEST_API_KEY).get('/v1/endpoints');
    const text = logger.text();
    expect(text).toContain('whsec_[redacted]');
    expect(text).not.toContain('c2VjcmV0c2VjcmV0');
    expect(text).not.toContain('abc.def');
  });
});
