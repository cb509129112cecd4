/**
 * Portal sessions through the real api handler: minted by an admin, a bearer credential with read and manage of
 * one tenant. Every route of ROUTE_ACCESS is called with a session of tenant A on A's, B's and tenant-less
 * resources; tampered, expired and revoked (secret rotated) tokens are 401.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../../../lambdas/api/middleware/access';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { TestClock, TEST_PORTAL_SECRET, apiClient, createTestApi, scanTable, type ApiClient, type TestApi } from '../../support/api-events';
import { endpointOf, eventOf, routeRequests, tenantCells, type TenantCell } from './route-requests';

const START = Date.parse('2030-05-01T00:00:00.000Z');

describe('portal sessions', () => {
  let env: TestEnvironment;
  const clock = new TestClock(START);
  let t: TestApi;
  let root: ApiClient;
  let portal: ApiClient;
  let token: string;
  const tenantA = `A-${randomBytes(3).toString('hex')}`;
  const tenantB = `B-${randomBytes(3).toString('hex')}`;
  const tenantName = (tenant: TenantCell) => (tenant === 'A' ? tenantA : tenant === 'B' ? tenantB : undefined);
  const ctx = { env: () => env, root: () => root, clock, tenantName };
  const REQUESTS = routeRequests(ctx);

  async function mint(tenant: string, body: unknown = { ttlSeconds: 3600, title: 'Acme webhooks' }): Promise<string> {
    const res = await root.post(`/v1/tenants/${tenant}/portal-sessions`, body);
    expect(res.status, res.rawBody).toBe(201);
    return res.body.token;
  }

  beforeAll(async () => {
    env = await startTestEnvironment();
    t = createTestApi(env, clock);
    root = t.api;
    token = await mint(tenantA, { ttlSeconds: 86_400, title: 'Acme webhooks' });
    portal = apiClient(t.handler, token);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('an admin mints a session: 201 with the token, the console link carrying it in the fragment, and the expiry', async () => {
    const res = await root.post(`/v1/tenants/${tenantA}/portal-sessions`, { title: '  Acme webhooks ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      token: expect.stringMatching(/^hps_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/),
      url: `https://api.test/console/#portal=${res.body.token}`,
      // 1 hour unless asked.
      expiresAt: new Date(Math.floor(clock.now() / 1000) * 1000 + 3600_000).toISOString(),
    });
    const session = await apiClient(t.handler, res.body.token).get('/v1/session');
    expect(session.body).toEqual({
      kind: 'portal_session',
      id: expect.stringMatching(/^ps_[0-9A-Z]{26}$/),
      scopes: [
        { scope: 'read', tenants: [tenantA] },
        { scope: 'manage', tenants: [tenantA] },
      ],
      tenant: tenantA,
      title: 'Acme webhooks',
      expiresAt: res.body.expiresAt,
    });
    // Nothing is stored: no item holds the token or its signature.
    const scan = JSON.stringify(await scanTable(env.clients.doc, env.resources.tableName));
    expect(scan).not.toContain(res.body.token.split('.')[1]);
  });

  it('rejects a bad request with a 400 naming the field: a lifetime outside 60 s .. 24 h, a blank or long title, unknown fields', async () => {
    const cases: [unknown, string[]][] = [
      [{ ttlSeconds: 59 }, ['ttlSeconds']],
      [{ ttlSeconds: 86_401 }, ['ttlSeconds']],
      [{ ttlSeconds: 1.5 }, ['ttlSeconds']],
      [{ ttlSeconds: '3600' }, ['ttlSeconds']],
      [{ title: '   ' }, ['title']],
      [{ title: 'x'.repeat(121) }, ['title']],
      [{ title: 'a\nb' }, ['title']],
      [{ tenant: 'other' }, ['tenant']],
      [[], ['']],
    ];
    for (const [body, paths] of cases) {
      const res = await root.post(`/v1/tenants/${tenantA}/portal-sessions`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toEqual(paths);
    }
    // The longest lifetime is accepted; no body at all is every default.
    expect((await root.post(`/v1/tenants/${tenantA}/portal-sessions`, { ttlSeconds: 86_400 })).status).toBe(201);
    expect((await root.post(`/v1/tenants/${tenantA}/portal-sessions`)).status).toBe(201);
    // A tenant that is not a token names no tenant.
    expect((await root.post('/v1/tenants/a%20b/portal-sessions')).status).toBe(404);
  });

  // Every route with a session of tenant A, on A's, B's and tenant-less resources.
  for (const [route, rule] of Object.entries(ROUTE_ACCESS)) {
    if (rule.scope === 'public') continue;
    for (const tenant of tenantCells(rule.tenant)) {
      it(`${route} (${rule.scope}, tenant from ${rule.tenant}) on ${tenant}`, async () => {
        const res = await REQUESTS[route]!(tenant, portal);
        const scope = rule.scope;
        if (scope === 'authenticated') return expect(res.status).toBe(200);
        if (scope === 'publish' || scope === 'admin') {
          // Never publish, manage keys or event types, or mint sessions, whatever the tenant.
          expect(res.status, res.rawBody).toBe(403);
          expect(res.body.error.message).toBe(`this portal session lacks the ${scope} scope`);
          return;
        }
        if (rule.tenant === 'shared') return expect(res.status, res.rawBody).toBe(200);
        if (rule.tenant === 'all') {
          expect(res.status, res.rawBody).toBe(403);
          return expect(res.body.error.message).toMatch(/only for named tenants, not across tenants/);
        }
        if (['endpoint', 'event', 'delivery'].includes(rule.tenant)) {
          // Another tenant's resource, or one of no tenant, is as good as absent.
          if (tenant === 'A') expect(res.status, res.rawBody).toBeLessThan(300);
          else expect(res.status, res.rawBody).toBe(404);
          return;
        }
        // body and query: naming another tenant is refused; naming none is taken as the session's tenant.
        if (tenant === 'B') {
          expect(res.status, res.rawBody).toBe(403);
          return expect(res.body.error.message).toBe(`this portal session has the ${scope} scope only for other tenants, not "${tenantB}"`);
        }
        expect(res.status, res.rawBody).toBeLessThan(300);
        if (route === 'POST /v1/endpoints') expect(res.body.tenant).toBe(tenantA);
        if (route === 'GET /v1/endpoints') expect(new Set(res.body.data.map((e: { tenant: string }) => e.tenant))).toEqual(new Set([tenantA]));
      });
    }
  }

  it("sees only its tenant's endpoints, and finds its own client event ids without naming the tenant", async () => {
    await endpointOf(ctx, 'B');
    await endpointOf(ctx, 'none');
    const mine = await endpointOf(ctx, 'A');
    const listed = await portal.get('/v1/endpoints', { limit: '100' });
    expect(listed.status).toBe(200);
    expect(listed.body.data.some((e: { id: string }) => e.id === mine)).toBe(true);
    expect(listed.body.data.every((e: { tenant: string }) => e.tenant === tenantA)).toBe(true);
    expect((await portal.get('/v1/endpoints', { tenant: '' })).status).toBe(403);

    clock.advance(1);
    const published = await root.post('/v1/events', { id: 'order-17', type: 'order.created', tenant: tenantA, data: {} });
    expect(published.status).toBe(202);
    await root.post('/v1/events', { id: 'order-17', type: 'order.created', tenant: tenantB, data: {} });
    const found = await portal.get('/v1/events/order-17');
    expect(found.status).toBe(200);
    expect(found.body.tenant).toBe(tenantA);
    expect((await portal.get('/v1/events/order-17', { tenant: tenantB })).status).toBe(404);
  });

  it("cannot move an endpoint to another tenant, nor act on another tenant's delivery", async () => {
    const mine = await endpointOf(ctx, 'A');
    const moved = await portal.patch(`/v1/endpoints/${mine}`, { tenant: tenantB });
    expect(moved.status).toBe(400);
    expect(moved.body.error.details[0].path).toBe('tenant');
    const theirs = await eventOf(ctx, 'B');
    expect((await portal.post(`/v1/deliveries/${theirs.deliveryId}/retry`)).status).toBe(404);
    expect((await portal.get(`/v1/endpoints/${theirs.endpointId}/deliveries`)).status).toBe(404);
    expect((await portal.post(`/v1/endpoints/${theirs.endpointId}/recover`, { since: '2030-01-01T00:00:00Z' })).status).toBe(404);
  });

  it('a tampered token is 401: another tenant or a later expiry in the claims, a changed signature, junk', async () => {
    const [payload, signature] = token.slice('hps_'.length).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forge = (change: object) => `hps_${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${signature}`;
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    for (const bad of [forge({ ten: tenantB }), forge({ exp: claims.exp + 86_400 }), `hps_${payload}.${flipped}`, `hps_${payload}`, 'hps_x.y']) {
      const res = await apiClient(t.handler, bad).get('/v1/endpoints');
      expect(res.status, bad).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect(t.logger.lines.some((l) => l.message === 'portal session refused' && l.fields.reason === 'bad_signature')).toBe(true);
    expect(t.logger.text()).not.toContain(signature);
  });

  it('an expired session is 401 from its expiry on', async () => {
    const short = apiClient(t.handler, await mint(tenantA, { ttlSeconds: 60 }));
    expect((await short.get('/v1/session')).status).toBe(200);
    clock.advance(61_000);
    expect((await short.get('/v1/session')).status).toBe(401);
    expect(t.logger.lines.some((l) => l.message === 'portal session refused' && l.fields.reason === 'expired')).toBe(true);
  });

  it('rotating the portal session secret ends every session; sessions minted after it work', async () => {
    const before = apiClient(t.handler, await mint(tenantA));
    expect((await before.get('/v1/endpoints')).status).toBe(200);
    t.rotatePortalSecret('rotated-portal-secret-9876543210');
    try {
      expect((await before.get('/v1/endpoints')).status).toBe(401);
      expect((await portal.get('/v1/endpoints')).status).toBe(401);
      const after = apiClient(t.handler, await mint(tenantA));
      expect((await after.get('/v1/endpoints')).status).toBe(200);
    } finally {
      t.rotatePortalSecret(TEST_PORTAL_SECRET);
    }
    // The API key is untouched by it.
    expect((await root.get('/v1/endpoints')).status).toBe(200);
  });

  it('a session cannot mint a session, even for its own tenant, nor make an API key', async () => {
    const res = await portal.post(`/v1/tenants/${tenantA}/portal-sessions`, {});
    expect(res.status).toBe(403);
    expect((await portal.post('/v1/keys', { scopes: [{ scope: 'manage', tenants: [tenantA] }] })).status).toBe(403);
  });

  it('a tenant-limited admin mints sessions for its tenants only', async () => {
    const key = await root.post('/v1/keys', { scopes: [{ scope: 'admin', tenants: [tenantA] }] });
    const admin = apiClient(t.handler, key.body.key);
    expect((await admin.post(`/v1/tenants/${tenantA}/portal-sessions`)).status).toBe(201);
    expect((await admin.post(`/v1/tenants/${tenantB}/portal-sessions`)).status).toBe(403);
    const reader = apiClient(t.handler, (await root.post('/v1/keys', { scopes: ['read', 'manage'] })).body.key);
    expect((await reader.post(`/v1/tenants/${tenantA}/portal-sessions`)).status).toBe(403);
  });
});
