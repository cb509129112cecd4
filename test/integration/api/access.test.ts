/**
 * Scoped API keys through the real api handler: created and revoked through the API, stored hashed, and the whole
 * route × scope matrix (every route of ROUTE_ACCESS, every kind of key, tenants in and out of a key's limit).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../../../lambdas/api/middleware/access';
import { apiRoutes } from '../../../lambdas/api/router';
import type { Scope } from '../../../lambdas/core/access';
import type { ApiUseCaseDeps } from '../../../lambdas/use-cases/api/deps';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { TestClock, TEST_API_KEY, apiClient, createTestApi, scanTable, type ApiClient, type TestApi } from '../../support/api-events';
import { routeRequests, tenantCells, type TenantCell } from './route-requests';

const START = Date.parse('2030-04-01T00:00:00.000Z');

/** A key of the matrix: its grants as sent to POST /v1/keys, and what it should be allowed. */
interface KeySpec {
  readonly name: string;
  readonly scopes: unknown[];
  /** Whether the key may use `scope` on what the request touches (`shared`: the event-type catalog every tenant reads). */
  readonly covers: (scope: Scope, tenant: TenantCell | 'all' | 'shared') => boolean;
}

const everyTenant = () => true;
/** A grant limited to tenant A covers A and the shared catalog. */
const onlyA = (t: string) => t === 'A' || t === 'shared';
const KEYS: readonly KeySpec[] = [
  { name: 'admin', scopes: ['admin'], covers: everyTenant },
  { name: 'publish', scopes: ['publish'], covers: (s) => s === 'publish' },
  { name: 'read', scopes: ['read'], covers: (s) => s === 'read' },
  { name: 'manage', scopes: ['manage'], covers: (s) => s === 'manage' },
  { name: 'read+publish', scopes: ['read', 'publish'], covers: (s) => s === 'read' || s === 'publish' },
  { name: 'admin of A', scopes: [{ scope: 'admin', tenants: ['A'] }], covers: (_s, t) => onlyA(t) },
  { name: 'publish to A', scopes: [{ scope: 'publish', tenants: ['A'] }], covers: (s, t) => s === 'publish' && onlyA(t) },
  { name: 'read of A', scopes: [{ scope: 'read', tenants: ['A'] }], covers: (s, t) => s === 'read' && onlyA(t) },
  { name: 'manage of A', scopes: [{ scope: 'manage', tenants: ['A'] }], covers: (s, t) => s === 'manage' && onlyA(t) },
  { name: 'read of A, publish anywhere', scopes: [{ scope: 'read', tenants: ['A'] }, 'publish'], covers: (s, t) => s === 'publish' || (s === 'read' && onlyA(t)) },
];

describe('scoped API keys', () => {
  let env: TestEnvironment;
  const clock = new TestClock(START);
  let t: TestApi;
  let root: ApiClient;
  const tenantA = 'A';
  const tenantB = `B-${randomBytes(3).toString('hex')}`;
  const clients = new Map<string, ApiClient>();

  beforeAll(async () => {
    env = await startTestEnvironment();
    t = createTestApi(env, clock);
    root = t.api;
    for (const spec of KEYS) {
      const res = await root.post('/v1/keys', { name: spec.name, scopes: spec.scopes });
      expect(res.status).toBe(201);
      clients.set(spec.name, apiClient(t.handler, res.body.key));
    }
  });
  afterAll(async () => {
    await env?.stop();
  });

  const tenantName = (tenant: TenantCell) => (tenant === 'A' ? tenantA : tenant === 'B' ? tenantB : undefined);

  const REQUESTS = routeRequests({ env: () => env, root: () => root, clock, tenantName });

  it('the table covers every route of the API, and the matrix every row of the table', () => {
    const routes = apiRoutes({} as ApiUseCaseDeps, { allowPrivateTargets: false, defaultRetryPolicy: undefined }).map((r) => `${r.method} ${r.path}`);
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual([...routes].sort());
    expect(Object.keys(REQUESTS).sort()).toEqual(Object.keys(ROUTE_ACCESS).filter((k) => ROUTE_ACCESS[k]!.scope !== 'public').sort());
    // read is exactly the GET routes but the public ones, key management and GET /v1/session (any credential, about
    // itself); publish exactly publishing; manage exactly a tenant's endpoint changes and redelivery; admin the rest.
    const MANAGE = [
      'POST /v1/endpoints',
      'PATCH /v1/endpoints/{id}',
      'DELETE /v1/endpoints/{id}',
      'POST /v1/endpoints/{id}/rotate-secret',
      'POST /v1/endpoints/{id}/test',
      'POST /v1/endpoints/{id}/recover',
      'POST /v1/deliveries/{id}/retry',
    ];
    for (const [route, rule] of Object.entries(ROUTE_ACCESS)) {
      if (route === 'GET /health' || route === 'GET /v1/openapi.json') expect(rule.scope).toBe('public');
      else if (route === 'GET /v1/session') expect(rule.scope).toBe('authenticated');
      else if (route.startsWith('GET ') && !route.includes('/v1/keys')) expect(rule.scope, route).toBe('read');
      else if (route === 'POST /v1/events' || route === 'POST /v1/events/batch') expect(rule.scope).toBe('publish');
      else if (MANAGE.includes(route)) expect(rule.scope, route).toBe('manage');
      else expect(rule.scope, route).toBe('admin');
    }
  });

  // Every route × every key × the tenant of what it touches.
  for (const [route, rule] of Object.entries(ROUTE_ACCESS)) {
    if (rule.scope === 'public') continue;
    const scope = rule.scope;
    for (const tenant of tenantCells(rule.tenant)) {
      const touched = rule.tenant === 'shared' ? 'shared' : rule.tenant === 'all' || (rule.tenant === 'query' && tenant === 'none') ? 'all' : tenant;
      it(`${route} on ${touched === 'all' ? 'every tenant' : touched === 'shared' ? 'the shared catalog' : `tenant ${tenant}`}: each key as its scopes say`, async () => {
        for (const spec of KEYS) {
          const res = await REQUESTS[route]!(tenant, clients.get(spec.name)!);
          if (scope === 'authenticated') {
            expect(res.status, `${spec.name}: ${res.rawBody}`).toBe(200);
            continue;
          }
          const hasScope = spec.covers(scope, 'A'); // every limited key of the matrix is limited to tenant A
          if (spec.covers(scope, touched)) {
            expect(res.status, `${spec.name}: ${res.rawBody}`).toBeLessThan(300);
          } else if (!hasScope) {
            expect(res.status, `${spec.name}: ${res.rawBody}`).toBe(403);
            expect(res.body.error).toEqual({ code: 'forbidden', message: expect.stringContaining(`lacks the ${scope} scope`), details: [] });
          } else if (['endpoint', 'event', 'delivery'].includes(rule.tenant)) {
            // The scope, but for other tenants: another tenant's resource is as good as absent.
            expect(res.status, `${spec.name}: ${res.rawBody}`).toBe(404);
          } else {
            expect(res.status, `${spec.name}: ${res.rawBody}`).toBe(403);
            expect(res.body.error.message).toMatch(new RegExp(`has the ${scope} scope only for`));
          }
        }
        // The deployment key may do everything.
        const res = await REQUESTS[route]!(tenant, root);
        expect(res.status, res.rawBody).toBeLessThan(300);
      });
    }
  }

  it('creates a key shown once and stored hashed, lists keys without it, and revokes it (401 from then on)', async () => {
    const created = await root.post('/v1/keys', { name: 'billing backend', scopes: [{ scope: 'publish', tenants: ['acme', 'acme'] }, 'read'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^key_[0-9A-Z]{26}$/),
      name: 'billing backend',
      scopes: [
        { scope: 'publish', tenants: ['acme'] },
        { scope: 'read', tenants: null },
      ],
      createdAt: new Date(clock.now()).toISOString(),
      createdBy: 'deployment',
      key: expect.stringMatching(/^hk_[0-9A-Z]{26}_[A-Za-z0-9_-]{32}$/),
    });
    const key: string = created.body.key;
    expect(key.slice(3, 29)).toBe(created.body.id.slice(4));
    const listed = await root.get('/v1/keys');
    expect(listed.body.data.find((k: { id: string }) => k.id === created.body.id)).toEqual({ ...created.body, key: undefined });
    expect(listed.rawBody).not.toContain(key);
    const scan = JSON.stringify(await scanTable(env.clients.doc, env.resources.tableName));
    expect(scan).not.toContain(key);
    expect(scan).not.toContain(key.slice(30));

    const client = apiClient(t.handler, key);
    expect((await client.get('/v1/endpoints')).status).toBe(200);
    // A key with the id right but the secret wrong, or a made-up id, is a 401 like any wrong key.
    expect((await apiClient(t.handler, `${key.slice(0, 30)}${'A'.repeat(32)}`).get('/v1/endpoints')).status).toBe(401);
    expect((await apiClient(t.handler, `hk_01HZZZZZZZZZZZZZZZZZZZZZZZ_${'A'.repeat(32)}`).get('/v1/endpoints')).status).toBe(401);

    expect(await root.delete(`/v1/keys/${created.body.id}`)).toMatchObject({ status: 200, body: { id: created.body.id, revoked: true } });
    expect((await client.get('/v1/endpoints')).status).toBe(401);
    expect((await root.delete(`/v1/keys/${created.body.id}`)).status).toBe(404);
    expect((await root.get('/v1/keys')).body.data.some((k: { id: string }) => k.id === created.body.id)).toBe(false);
  });

  it('a key made by a scoped admin names its creator; a tenant-limited admin cannot make keys (no way around its limit)', async () => {
    const made = await clients.get('admin')!.post('/v1/keys', { scopes: ['read'] });
    expect(made.status).toBe(201);
    expect(made.body.createdBy).toMatch(/^key_/);
    const limited = await clients.get('admin of A')!.post('/v1/keys', { scopes: ['admin'] });
    expect(limited.status).toBe(403);
    expect(limited.body.error.message).toMatch(/admin scope only for named tenants, not across tenants/);
  });

  it('rejects an invalid key request with a 400 naming the fields, and writes nothing', async () => {
    const before = (await root.get('/v1/keys')).body.data.length;
    const cases: [unknown, string[]][] = [
      [{}, ['scopes']],
      [{ scopes: [] }, ['scopes']],
      [{ scopes: ['owner'] }, ['scopes[0]']],
      [{ scopes: ['read', 'read'] }, ['scopes[1]']],
      [{ scopes: [{ scope: 'read', tenants: [] }] }, ['scopes[0].tenants']],
      [{ scopes: [{ scope: 'read', tenants: ['a b'] }] }, ['scopes[0].tenants[0]']],
      [{ scopes: [{ scope: 'read', tenant: 'a' }] }, ['scopes[0].tenant']],
      [{ scopes: ['read'], name: 'x'.repeat(129) }, ['name']],
      [{ scopes: ['read'], extra: 1 }, ['extra']],
    ];
    for (const [body, paths] of cases) {
      const res = await root.post('/v1/keys', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toEqual(paths);
    }
    expect((await root.get('/v1/keys')).body.data.length).toBe(before);
  });

  it('the deployment key is not a scoped key: it cannot be revoked through the API', async () => {
    expect((await root.delete('/v1/keys/deployment')).status).toBe(404);
    expect((await apiClient(t.handler, TEST_API_KEY).get('/v1/keys')).status).toBe(200);
  });
});
