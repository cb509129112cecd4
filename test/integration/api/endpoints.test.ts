import { randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readDelivery, readDeliveryItem, writeDelivery } from '../../support/store-items';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../lambdas/adapters/dynamo/schema';
import type { Delivery, SigningSecret } from '../../../lambdas/core/model';
import { activeSecrets } from '../../../lambdas/core/signing';
import { sealContext } from '../../../lambdas/use-cases/endpoint-secrets';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { TestClock, createTestApi, drainDeliveryQueue, scanTable, type TestApi } from '../../support/api-events';

const START = Date.parse('2030-02-01T00:00:00.000Z');
const HOUR = 3600 * 1000;

describe('endpoint management routes', () => {
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
  beforeEach(async () => {
    await drainDeliveryQueue(env);
  });

  const newTenant = () => `tenant-${randomBytes(4).toString('hex')}`;

  async function create(body: Record<string, unknown>, api: TestApi = t) {
    clock.advance(1);
    const res = await api.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function storedEndpoint(id: string): Promise<Record<string, unknown> | undefined> {
    const out = await env.clients.doc.send(new GetCommand({ TableName: env.resources.tableName, Key: keys.endpoint(id) }));
    return out.Item;
  }

  /** The stored signing secrets, opened with the environment's key (stored, each is sealed: `hsec1.` and no `whsec_`). */
  async function storedSecrets(id: string): Promise<SigningSecret[]> {
    const secrets = ((await storedEndpoint(id))?.secrets ?? []) as SigningSecret[];
    for (const s of secrets) expect(s.secret).toMatch(/^hsec1\.k1\.[A-Za-z0-9_-]+$/);
    return Promise.all(secrets.map(async (s) => ({ ...s, secret: await env.secrets.open(s.secret, sealContext.secret(id)) })));
  }

  it('creates an endpoint with defaults and returns its signing secret once', async () => {
    const createdAt = clock.now() + 1;
    const ep = await create({});

    expect(ep).toEqual({
      id: expect.stringMatching(/^ep_[0-9A-Z]{26}$/),
      url: 'https://hooks.example.com/in',
      description: '',
      eventTypes: ['*'],
      tenant: null,
      retryPolicy: {},
      timeoutMs: 15000,
      headers: {},
      disabled: false,
      disabledReason: null,
      payloadFormat: 'standard',
      health: { consecutiveFailures: 0, failingSince: null, lastSuccessAt: null, lastFailureAt: null },
      circuitBreaker: null,
      rateLimitPerSecond: null,
      circuit: { enabled: true, state: 'closed', since: null, reason: null, nextProbeAt: null, consecutiveFailures: 0 },
      contacts: null,
      degraded: null,
      createdAt: new Date(createdAt).toISOString(),
      updatedAt: new Date(createdAt).toISOString(),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(await storedSecrets(ep.id)).toEqual([{ secret: ep.secret, createdAt }]);
    expect(JSON.stringify(await storedEndpoint(ep.id))).not.toContain(ep.secret);

    const got = await t.api.get(`/v1/endpoints/${ep.id}`);
    expect(got.status).toBe(200);
    const { secret: _secret, ...withoutSecret } = ep;
    // A single read also counts the endpoint's parked deliveries.
    expect(got.body).toEqual({ ...withoutSecret, circuit: { ...withoutSecret.circuit, parked: 0 } });
    expect(got.rawBody).not.toContain('whsec_');

    const list = await t.api.get('/v1/endpoints', { limit: '100' });
    expect(list.body.data.some((e: { id: string }) => e.id === ep.id)).toBe(true);
    expect(list.rawBody).not.toContain('whsec_');
    expect(list.body.data.every((e: Record<string, unknown>) => !('secret' in e) && !('secrets' in e))).toBe(true);
    // Secrets never reach the logs.
    expect(t.logger.text()).not.toContain('whsec_');
  });

  it('stores every field given', async () => {
    const tenant = newTenant();
    const ep = await create({
      url: 'https://hooks.example.com/full?x=1',
      description: 'billing receiver',
      eventTypes: ['dir_sync.*', 'user.created'],
      tenant,
      retryPolicy: { preset: 'cryptr', maxAgeSeconds: 90000 },
      timeoutMs: 5000,
      headers: { Authorization: 'Bearer receiver-token', 'X-Custom': 'v' },
      disabled: true,
    });
    expect(ep).toMatchObject({
      url: 'https://hooks.example.com/full?x=1',
      description: 'billing receiver',
      eventTypes: ['dir_sync.*', 'user.created'],
      tenant,
      retryPolicy: { preset: 'cryptr', maxAgeSeconds: 90000 },
      timeoutMs: 5000,
      headers: { Authorization: 'Bearer receiver-token', 'X-Custom': 'v' },
      disabled: true,
      disabledReason: 'disabled through the API',
    });
    expect((await t.api.get(`/v1/endpoints/${ep.id}`)).body).toMatchObject({ tenant, disabled: true });
  });

  it('keeps signing secrets and header values sealed at rest, and masks header values after creation', async () => {
    const token = `Bearer receiver-credential-${randomBytes(6).toString('hex')}`;
    const apiKey = `partner-key-${randomBytes(6).toString('hex')}`;
    const ep = await create({ headers: { Authorization: token, 'X-Api-Key': apiKey } });
    // The answer to the creating request shows what was sent; nothing after it does.
    expect(ep.headers).toEqual({ Authorization: token, 'X-Api-Key': apiKey });
    const masked = { Authorization: '********', 'X-Api-Key': '********' };
    expect((await t.api.get(`/v1/endpoints/${ep.id}`)).body.headers).toEqual(masked);
    const listed = await t.api.get('/v1/endpoints', { limit: '100' });
    expect(listed.body.data.find((e: { id: string }) => e.id === ep.id).headers).toEqual(masked);
    expect(listed.rawBody).not.toContain(token);
    const rotated = await t.api.post(`/v1/endpoints/${ep.id}/rotate-secret`);
    expect(rotated.body.headers).toEqual(masked);

    // A Scan of the whole table (what any reader of the table, a restore or an export holds) shows neither.
    const scan = JSON.stringify(await scanTable(env.clients.doc, env.resources.tableName));
    for (const plaintext of [ep.secret, rotated.body.secret, token, apiKey, 'receiver-credential', 'whsec_']) expect(scan).not.toContain(plaintext);
    // What the table holds instead: the data key, wrapped under the key kept outside it.
    expect(scan).toContain('"pk":"KEYRING"');

    // PATCH: a masked value keeps the stored one (a client that read, edited and wrote back the map), a new value is
    // sealed, a header left out is removed, and a mask for a header the endpoint lacks is a 400.
    const patched = await t.api.patch(`/v1/endpoints/${ep.id}`, { headers: { authorization: '********', 'X-New': 'fresh-value' } });
    expect(patched.status).toBe(200);
    expect(patched.body.headers).toEqual({ authorization: '********', 'X-New': '********' });
    const stored = (await storedEndpoint(ep.id))!.headers as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['X-New', 'authorization']);
    expect(await env.secrets.open(stored.authorization!, sealContext.header(ep.id, 'authorization'))).toBe(token);
    expect(await env.secrets.open(stored['X-New']!, sealContext.header(ep.id, 'X-New'))).toBe('fresh-value');
    expect(JSON.stringify(stored)).not.toContain('fresh-value');
    const unknown = await t.api.patch(`/v1/endpoints/${ep.id}`, { headers: { 'X-Other': '********' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.map((d: { path: string }) => d.path)).toEqual(['headers.X-Other']);
    // A sealed value belongs to its endpoint and header: it does not open anywhere else.
    await expect(env.secrets.open(stored.authorization!, sealContext.header(ep.id, 'x-new'))).rejects.toThrow();
    await expect(env.secrets.open(stored.authorization!, sealContext.header('ep_other', 'authorization'))).rejects.toThrow();
  });

  it('stores the URL in its parsed form: CR, LF and TAB removed, as requests are sent', async () => {
    const ep = await create({ url: 'https://hooks.exa\tmple.com/in\r\n?x=1' });
    expect(ep.url).toBe('https://hooks.example.com/in?x=1');
    expect((await t.api.get(`/v1/endpoints/${ep.id}`)).body.url).toBe('https://hooks.example.com/in?x=1');
    expect((await storedEndpoint(ep.id))?.url).toBe('https://hooks.example.com/in?x=1');
  });

  it('rejects every invalid endpoint with a 400 naming the fields, and writes nothing', async () => {
    const before = await scanTable(env.clients.doc, env.resources.tableName);
    const cases: [string, unknown, string[]][] = [
      ['missing url', {}, ['url']],
      ['not a URL', { url: 'not a url' }, ['url']],
      ['ftp scheme', { url: 'ftp://example.com/x' }, ['url']],
      ['plain http', { url: 'http://example.com/x' }, ['url']],
      ['metadata service (SSRF)', { url: 'https://169.254.169.254/latest/meta-data' }, ['url']],
      ['loopback', { url: 'https://127.0.0.1:8443/x' }, ['url']],
      ['localhost', { url: 'https://localhost/x' }, ['url']],
      ['private network', { url: 'https://10.1.2.3/x' }, ['url']],
      ['credentials in URL', { url: 'https://user:pw@example.com/x' }, ['url']],
      ['description too long', { url: 'https://example.com', description: 'x'.repeat(1025) }, ['description']],
      ['eventTypes empty', { url: 'https://example.com', eventTypes: [] }, ['eventTypes']],
      ['eventTypes not a list', { url: 'https://example.com', eventTypes: '*' }, ['eventTypes']],
      ['bad pattern', { url: 'https://example.com', eventTypes: ['ok.type', 'dir_*', 5] }, ['eventTypes[1]', 'eventTypes[2]']],
      ['bad tenant', { url: 'https://example.com', tenant: 'a b' }, ['tenant']],
      ['invalid retry policy', { url: 'https://example.com', retryPolicy: { maxAttempts: 0, preset: 'nope' } }, ['retryPolicy.preset', 'retryPolicy.maxAttempts']],
      ['unknown retry policy field', { url: 'https://example.com', retryPolicy: { maxAttemps: 3 } }, ['retryPolicy.maxAttemps']],
      ['retry policy only invalid once merged', { url: 'https://example.com', retryPolicy: { retryAfter: { minSeconds: 100000 } } }, ['retryPolicy.retryAfter.maxSeconds']],
      ['timeout too small', { url: 'https://example.com', timeoutMs: 999 }, ['timeoutMs']],
      ['timeout too large', { url: 'https://example.com', timeoutMs: 30001 }, ['timeoutMs']],
      ['timeout not an integer', { url: 'https://example.com', timeoutMs: 1500.5 }, ['timeoutMs']],
      ['reserved header', { url: 'https://example.com', headers: { 'Content-Type': 'text/plain' } }, ['headers.Content-Type']],
      ['webhook header', { url: 'https://example.com', headers: { 'webhook-signature': 'x' } }, ['headers.webhook-signature']],
      ['bad header name', { url: 'https://example.com', headers: { 'X Bad': 'x' } }, ['headers.X Bad']],
      ['header value with CRLF', { url: 'https://example.com', headers: { 'X-A': 'a\r\nInjected: 1' } }, ['headers.X-A']],
      ['header value not a string', { url: 'https://example.com', headers: { 'X-A': 1 } }, ['headers.X-A']],
      ['duplicate header', { url: 'https://example.com', headers: { 'X-A': '1', 'x-a': '2' } }, ['headers.x-a']],
      [
        'too many headers',
        { url: 'https://example.com', headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) },
        ['headers'],
      ],
      ['disabled not a boolean', { url: 'https://example.com', disabled: 'yes' }, ['disabled']],
      ['unknown fields', { url: 'https://example.com', secret: 'whsec_x', name: 'n' }, ['secret', 'name']],
      ['not an object', ['https://example.com'], ['']],
    ];
    for (const [name, body, paths] of cases) {
      const res = await t.api.post('/v1/endpoints', body);
      expect({ name, status: res.status, code: res.body.error.code }).toEqual({ name, status: 400, code: 'validation_failed' });
      expect({ name, paths: res.body.error.details.map((d: { path: string }) => d.path) }).toEqual({ name, paths });
    }
    const malformed = await t.api.request('POST', '/v1/endpoints', { body: '{"url": "https://example.com",}' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    expect(await scanTable(env.clients.doc, env.resources.tableName)).toEqual(before);
  });

  it('accepts http, loopback and private targets when the deployment allows them', async () => {
    const local = createTestApi(env, clock, { allowPrivateTargets: true });
    const res = await local.api.post('/v1/endpoints', { url: 'http://127.0.0.1:9999/hook' });
    expect(res.status).toBe(201);
    expect(res.body.url).toBe('http://127.0.0.1:9999/hook');
  });

  it('lists endpoints newest first, by tenant, with an opaque cursor', async () => {
    const tenant = newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ tenant, description: `n${i}` })).id);
    await create({ tenant: newTenant() });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await t.api.get('/v1/endpoints', { tenant, limit: '2', ...(cursor === undefined ? {} : { cursor }) });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual([...ids].reverse());

    const all = await t.api.get('/v1/endpoints', { limit: '100' });
    expect(all.body.data.length).toBeGreaterThanOrEqual(7);
    expect(all.body.nextCursor).toBeNull();
    const first = await t.api.get('/v1/endpoints', { tenant, limit: '1' });
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual([ids[4]]);
    expect(typeof first.body.nextCursor).toBe('string');

    // A cursor of one tenant's list is not a cursor of another's.
    const foreign = await t.api.get('/v1/endpoints', { tenant: newTenant(), cursor: first.body.nextCursor });
    expect(foreign.status).toBe(400);
    const badQueries: Record<string, string>[] = [{ cursor: 'garbage!' }, { cursor: Buffer.from('{"pk":1}').toString('base64url') }, { limit: '0' }, { limit: '101' }, { limit: 'ten' }, { tenant: 'bad tenant' }, { sort: 'asc' }];
    for (const query of badQueries) {
      const res = await t.api.get('/v1/endpoints', query);
      expect({ query, status: res.status, code: res.body.error.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
  });

  it('changes only the fields given, never the tenant, and 404s an unknown one', async () => {
    const from = newTenant();
    const to = newTenant();
    const ep = await create({ tenant: from, description: 'before', headers: { 'X-A': '1' } });
    clock.advance(1000);

    const res = await t.api.patch(`/v1/endpoints/${ep.id}`, { description: 'after', timeoutMs: 20000 });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ep.id, description: 'after', tenant: from, timeoutMs: 20000, url: ep.url });
    expect(res.body.updatedAt).toBe(new Date(clock.now()).toISOString());
    expect(res.body.createdAt).toBe(ep.createdAt);
    expect(res.body).not.toHaveProperty('secret');
    // The secrets are untouched by a change.
    const secretsBefore = (await storedEndpoint(ep.id))?.secrets;
    expect(secretsBefore).toHaveLength(1);

    // An endpoint's tenant is fixed: a change (to another tenant, or to none) is a 400 and writes nothing.
    const stored = await storedEndpoint(ep.id);
    for (const tenant of [to, null]) {
      const moved = await t.api.patch(`/v1/endpoints/${ep.id}`, { tenant, description: 'never stored' });
      expect(moved.status).toBe(400);
      expect(moved.body.error.details).toEqual([{ path: 'tenant', message: expect.stringMatching(/cannot be changed/) }]);
    }
    expect(await storedEndpoint(ep.id)).toEqual(stored);
    expect((await t.api.get('/v1/endpoints', { tenant: to })).body.data).toEqual([]);
    expect((await t.api.get('/v1/endpoints', { tenant: from })).body.data.map((e: { id: string }) => e.id)).toEqual([ep.id]);

    expect((await t.api.patch('/v1/endpoints/ep_nope', { description: 'x' })).status).toBe(404);
    const empty = await t.api.patch(`/v1/endpoints/${ep.id}`, {});
    expect(empty.status).toBe(400);
    const before = await storedEndpoint(ep.id);
    const bad = await t.api.patch(`/v1/endpoints/${ep.id}`, { url: 'https://169.254.169.254/', description: 'never stored' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['url']);
    expect(await storedEndpoint(ep.id)).toEqual(before);
  });

  it('disabling records why; re-enabling clears the reason and resets the failing streak', async () => {
    const ep = await create({});
    // The worker's view: a failing streak that got the endpoint disabled.
    await env.clients.doc.send(
      new UpdateCommand({
        TableName: env.resources.tableName,
        Key: keys.endpoint(ep.id),
        UpdateExpression: 'SET disabled = :t, disabledReason = :r, health = :h',
        ExpressionAttributeValues: {
          ':t': true,
          ':r': 'failing for 5 days',
          ':h': { consecutiveFailures: 40, failingSince: START - 100 * HOUR, lastFailureAt: START - HOUR, lastSuccessAt: START - 200 * HOUR },
        },
      }),
    );

    const enabled = await t.api.patch(`/v1/endpoints/${ep.id}`, { disabled: false });

    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({
      disabled: false,
      disabledReason: null,
      health: {
        consecutiveFailures: 0,
        failingSince: null,
        lastFailureAt: new Date(START - HOUR).toISOString(),
        lastSuccessAt: new Date(START - 200 * HOUR).toISOString(),
      },
    });
    expect((await storedEndpoint(ep.id))?.disabledReason).toBeUndefined();
    const disabled = await t.api.patch(`/v1/endpoints/${ep.id}`, { disabled: true });
    expect(disabled.body).toMatchObject({ disabled: true, disabledReason: 'disabled through the API' });
  });

  it('rotates the secret: the new one is returned once, the old one keeps signing for 24 hours', async () => {
    const ep = await create({});
    const rotatedAt = clock.now() + 1000;
    clock.time = rotatedAt;

    const res = await t.api.post(`/v1/endpoints/${ep.id}/rotate-secret`);

    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(ep.secret);
    expect(res.body.updatedAt).toBe(new Date(rotatedAt).toISOString());
    const secrets = await storedSecrets(ep.id);
    expect(secrets).toEqual([
      { secret: res.body.secret, createdAt: rotatedAt },
      { secret: ep.secret, createdAt: Date.parse(ep.createdAt), expiresAt: rotatedAt + 24 * HOUR },
    ]);
    expect(activeSecrets(secrets, rotatedAt + 23 * HOUR)).toEqual([res.body.secret, ep.secret]);
    expect(activeSecrets(secrets, rotatedAt + 24 * HOUR)).toEqual([res.body.secret]);
    expect((await t.api.get(`/v1/endpoints/${ep.id}`)).rawBody).not.toContain('whsec_');

    // A second rotation inside the window keeps the first one's expiry; after it, expired secrets are dropped.
    clock.time = rotatedAt + HOUR;
    const second = await t.api.post(`/v1/endpoints/${ep.id}/rotate-secret`);
    expect((await storedSecrets(ep.id)).map((s) => [s.secret, s.expiresAt])).toEqual([
      [second.body.secret, undefined],
      [res.body.secret, rotatedAt + 25 * HOUR],
      [ep.secret, rotatedAt + 24 * HOUR],
    ]);
    clock.time = rotatedAt + 30 * HOUR;
    const third = await t.api.post(`/v1/endpoints/${ep.id}/rotate-secret`);
    expect((await storedSecrets(ep.id)).map((s) => s.secret)).toEqual([third.body.secret, second.body.secret]);

    expect((await t.api.post('/v1/endpoints/ep_nope/rotate-secret')).status).toBe(404);
    expect((await t.api.post(`/v1/endpoints/${ep.id}/rotate-secret`, { x: 1 })).status).toBe(400);
    expect(t.logger.text()).not.toContain('whsec_');
  });

  it('deletes an endpoint after canceling its stored waiting deliveries', async () => {
    const tenant = newTenant();
    const ep = await create({ tenant });
    const other = await create({ tenant });
    const e1 = await t.api.post('/v1/events', { type: 'a.one', data: {}, tenant });
    const e2 = await t.api.post('/v1/events', { type: 'a.two', data: {}, tenant });
    const e3 = await t.api.post('/v1/events', { type: 'a.three', data: {}, tenant });
    const e0 = await t.api.post('/v1/events', { type: 'a.zero', data: {}, tenant });
    const mine = (res: { body: { deliveries: { id: string; endpointId: string }[] } }) => res.body.deliveries.find((d) => d.endpointId === ep.id)!.id;
    // The worker's view: e1's delivery waits for a recheck (pending, stored), e2's failed once and waits for a
    // retry, e3's was delivered; e0's was never attempted (no item).
    const write = async (res: Parameters<typeof mine>[0], change: Partial<Delivery>) =>
      writeDelivery(env, { ...(await readDelivery(env, mine(res))), ...change } as Delivery);
    await write(e1, { nextAttemptAt: clock.now() + 3_600_000 });
    await write(e2, { status: 'retrying', attemptCount: 1, nextAttemptAt: clock.now() + 60_000 });
    await write(e3, { status: 'delivered', attemptCount: 1 });
    clock.advance(1000);

    const res = await t.api.delete(`/v1/endpoints/${ep.id}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: ep.id, deleted: true, canceledDeliveries: 2 });
    expect((await t.api.get(`/v1/endpoints/${ep.id}`)).status).toBe(404);
    const delivery = async (id: string) => (await readDeliveryItem(env, id))!;
    for (const id of [mine(e1), mine(e2)]) {
      const d = await delivery(id);
      expect(d).toMatchObject({ status: 'canceled', finalReason: 'endpoint deleted', updatedAt: clock.now() });
      expect(d.gsi2pk).toBeUndefined();
      expect(d.gsi3pk).toBeUndefined();
      expect(d.nextAttemptAt).toBeUndefined();
    }
    expect((await delivery(mine(e3))).status).toBe('delivered');
    // Never attempted: nothing stored to cancel; its queued first attempt finds the endpoint gone and cancels it.
    expect(await readDeliveryItem(env, mine(e0))).toBeUndefined();
    // The other endpoint's deliveries are untouched (and, not attempted yet, not stored).
    for (const res of [e1, e2, e3, e0]) {
      const theirs = res.body.deliveries.find((d: { endpointId: string }) => d.endpointId === other.id)!.id;
      expect(await readDeliveryItem(env, theirs)).toBeUndefined();
    }
    const event = await t.api.get(`/v1/events/${e1.body.id}`);
    expect(event.body.deliveries.find((d: { endpointId: string }) => d.endpointId === ep.id).status).toBe('canceled');

    expect((await t.api.delete(`/v1/endpoints/${ep.id}`)).status).toBe(404);
    // A deleted endpoint no longer receives fan-out.
    const after = await t.api.post('/v1/events', { type: 'a.four', data: {}, tenant });
    expect(after.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([other.id]);
  });
});
