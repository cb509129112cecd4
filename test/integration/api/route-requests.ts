/**
 * One request per route of ROUTE_ACCESS, on fresh resources of a tenant, for the access matrices (scoped keys in
 * access.test.ts, portal sessions in portal-sessions.test.ts). Destructive routes never see another cell's leftovers.
 */
import { expect } from 'vitest';
import type { TestEnvironment } from '../../support/emulators';
import { drainDeliveryQueue, type ApiClient, type ApiResponse, type TestClock } from '../../support/api-events';

/** The tenant a request touches: A (inside the limited keys' limit), B (outside it) or none. */
export type TenantCell = 'A' | 'B' | 'none';

export interface RouteRequestContext {
  /** The test environment (once started). */
  readonly env: () => TestEnvironment;
  /** The deployment key's client: it creates what the request acts on. */
  readonly root: () => ApiClient;
  readonly clock: TestClock;
  readonly tenantName: (tenant: TenantCell) => string | undefined;
}

export type RouteRequest = (tenant: TenantCell, api: ApiClient) => Promise<ApiResponse>;

/** A fresh endpoint of `tenant`, made by the deployment key. */
export async function endpointOf(ctx: RouteRequestContext, tenant: TenantCell): Promise<string> {
  ctx.clock.advance(1);
  const name = ctx.tenantName(tenant);
  const res = await ctx.root().post('/v1/endpoints', { url: 'https://hooks.example.com/in', ...(name === undefined ? {} : { tenant: name }) });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A fresh event of `tenant` with one delivery to a fresh endpoint of that tenant. */
export async function eventOf(ctx: RouteRequestContext, tenant: TenantCell): Promise<{ eventId: string; deliveryId: string; endpointId: string }> {
  const endpointId = await endpointOf(ctx, tenant);
  const name = ctx.tenantName(tenant);
  ctx.clock.advance(1);
  const res = await ctx.root().post('/v1/events', { type: 'matrix.event', data: {}, ...(name === undefined ? {} : { tenant: name }) });
  expect(res.status).toBe(202);
  await drainDeliveryQueue(ctx.env());
  return { eventId: res.body.id, endpointId, deliveryId: res.body.deliveries.find((d: { endpointId: string }) => d.endpointId === endpointId).id };
}

/** Every non-public route of ROUTE_ACCESS (`METHOD /pattern`) and a request that exercises it. */
export function routeRequests(ctx: RouteRequestContext): Record<string, RouteRequest> {
  const { tenantName } = ctx;
  const withTenant = (tenant: TenantCell): Record<string, string> => {
    const name = tenantName(tenant);
    return name === undefined ? {} : { tenant: name };
  };
  return {
    'POST /v1/endpoints': (tenant, api) => api.post('/v1/endpoints', { url: 'https://hooks.example.com/new', ...withTenant(tenant) }),
    'GET /v1/endpoints': (tenant, api) => api.get('/v1/endpoints', withTenant(tenant)),
    'GET /v1/endpoints/{id}': async (tenant, api) => api.get(`/v1/endpoints/${await endpointOf(ctx, tenant)}`),
    'PATCH /v1/endpoints/{id}': async (tenant, api) => api.patch(`/v1/endpoints/${await endpointOf(ctx, tenant)}`, { description: 'changed' }),
    'DELETE /v1/endpoints/{id}': async (tenant, api) => api.delete(`/v1/endpoints/${await endpointOf(ctx, tenant)}`),
    'POST /v1/endpoints/{id}/rotate-secret': async (tenant, api) => api.post(`/v1/endpoints/${await endpointOf(ctx, tenant)}/rotate-secret`),
    'POST /v1/endpoints/{id}/test': async (tenant, api) => {
      const res = await api.post(`/v1/endpoints/${await endpointOf(ctx, tenant)}/test`);
      await drainDeliveryQueue(ctx.env());
      return res;
    },
    'POST /v1/endpoints/{id}/recover': async (tenant, api) => api.post(`/v1/endpoints/${await endpointOf(ctx, tenant)}/recover`, { since: '2030-01-01T00:00:00Z' }),
    'GET /v1/endpoints/{id}/stats': async (tenant, api) => api.get(`/v1/endpoints/${await endpointOf(ctx, tenant)}/stats`),
    'GET /v1/endpoints/{id}/deliveries': async (tenant, api) => api.get(`/v1/endpoints/${await endpointOf(ctx, tenant)}/deliveries`),
    'POST /v1/events': async (tenant, api) => {
      const res = await api.post('/v1/events', { type: 'matrix.published', data: {}, ...withTenant(tenant) });
      await drainDeliveryQueue(ctx.env());
      return res;
    },
    'POST /v1/events/batch': async (tenant, api) => {
      const res = await api.post('/v1/events/batch', { events: [{ type: 'matrix.batch', data: {}, ...withTenant(tenant) }] });
      await drainDeliveryQueue(ctx.env());
      return res;
    },
    'GET /v1/events/{id}': async (tenant, api) => api.get(`/v1/events/${(await eventOf(ctx, tenant)).eventId}`),
    'GET /v1/deliveries': (_tenant, api) => api.get('/v1/deliveries', { status: 'dead' }),
    'GET /v1/deliveries/{id}': async (tenant, api) => api.get(`/v1/deliveries/${(await eventOf(ctx, tenant)).deliveryId}`),
    'POST /v1/deliveries/{id}/retry': async (tenant, api) => {
      const res = await api.post(`/v1/deliveries/${(await eventOf(ctx, tenant)).deliveryId}/retry`);
      await drainDeliveryQueue(ctx.env());
      return res;
    },
    'PUT /v1/event-types/{type}': (_tenant, api) => api.request('PUT', '/v1/event-types/matrix.typed', { body: { description: 'from the matrix' } }),
    'GET /v1/event-types/{type}': async (_tenant, api) => {
      await ctx.root().request('PUT', '/v1/event-types/matrix.read', { body: {} });
      return api.get('/v1/event-types/matrix.read');
    },
    'DELETE /v1/event-types/{type}': async (_tenant, api) => {
      await ctx.root().request('PUT', '/v1/event-types/matrix.deleted', { body: {} });
      return api.delete('/v1/event-types/matrix.deleted');
    },
    'GET /v1/event-types': (_tenant, api) => api.get('/v1/event-types'),
    'GET /v1/keys': (_tenant, api) => api.get('/v1/keys'),
    'POST /v1/keys': (_tenant, api) => api.post('/v1/keys', { name: 'made in the matrix', scopes: ['read'] }),
    'DELETE /v1/keys/{id}': async (_tenant, api) => api.delete(`/v1/keys/${(await ctx.root().post('/v1/keys', { scopes: ['read'] })).body.id}`),
    'POST /v1/tenants/{tenant}/portal-sessions': (tenant, api) => api.post(`/v1/tenants/${tenantName(tenant) ?? 'nobody'}/portal-sessions`, { ttlSeconds: 600 }),
    'GET /v1/session': (_tenant, api) => api.get('/v1/session'),
    'GET /v1/overview': (_tenant, api) => api.get('/v1/overview'),
    'PUT /v1/tenants/{tenant}/contacts': (tenant, api) => api.request('PUT', `/v1/tenants/${tenantName(tenant) ?? 'nobody'}/contacts`, { body: CONTACTS }),
    'GET /v1/tenants/{tenant}/contacts': async (tenant, api) => {
      await ctx.root().request('PUT', `/v1/tenants/${tenantName(tenant) ?? 'nobody'}/contacts`, { body: CONTACTS });
      return api.get(`/v1/tenants/${tenantName(tenant) ?? 'nobody'}/contacts`);
    },
    'DELETE /v1/tenants/{tenant}/contacts': async (tenant, api) => {
      await ctx.root().request('PUT', `/v1/tenants/${tenantName(tenant) ?? 'nobody'}/contacts`, { body: CONTACTS });
      return api.delete(`/v1/tenants/${tenantName(tenant) ?? 'nobody'}/contacts`);
    },
  };
}

/** A URL contact: no e-mail subscription, which the test api has no topic for. */
const CONTACTS = { url: 'https://hooks.example.com/notices' };

/**
 * The tenants a route's matrix cells touch: one cell for a route across tenants or on shared data, A and B for a
 * tenant in the path (a path always names one), A, B and none otherwise.
 */
export function tenantCells(source: string): TenantCell[] {
  if (source === 'all' || source === 'shared') return ['none'];
  if (source === 'path') return ['A', 'B'];
  return ['A', 'B', 'none'];
}
