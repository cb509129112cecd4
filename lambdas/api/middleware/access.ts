/**
 * Scope checks, in one place: the route × scope table and the middleware that applies it to every request.
 */
import type { MiddlewareObj } from '@middy/core';
import { coversEveryTenant, decideAccess, type Principal, type Scope, type TenantTarget } from '../../core/access';
import { ForbiddenError, NotFoundError } from '../../core/errors';
import type { ApiEvent, ApiResult } from './types';

/**
 * Where the tenant a route touches comes from:
 * - `body`: the body's `tenant` (none when absent or null);
 * - `query`: `?tenant=`; without it the route lists every tenant;
 * - `endpoint`, `event`, `delivery`: the tenant of the resource named by the path's `{id}`;
 * - `path`: the path's `{tenant}`;
 * - `all`: the route works across tenants (or on keys, which belong to none);
 * - `shared`: the deployment's data every tenant shares (the event-type catalog): any grant of the scope will do.
 */
export type TenantSource = 'body' | 'batch' | 'query' | 'endpoint' | 'event' | 'delivery' | 'path' | 'all' | 'shared';

export interface RouteAccess {
  /** `public`: no key needed (GET /health); `authenticated`: any principal (GET /v1/session, about itself). */
  readonly scope: Scope | 'public' | 'authenticated';
  readonly tenant: TenantSource;
}

/**
 * The route × scope table: every route of the API (lambdas/api/router.ts) and what it needs. `read` is the GET
 * routes; `publish` is publishing only; `manage` is a tenant's endpoint management (create, change, delete, rotate
 * the secret, send a test event, recover) and redelivery, what a portal session does besides reading; `admin` is
 * everything else: key management, event-type changes, minting portal sessions. A route missing from this table
 * is refused to all but an unlimited admin, and the tests fail until it is added.
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /health': { scope: 'public', tenant: 'all' },
  'GET /v1/openapi.json': { scope: 'public', tenant: 'all' },
  'POST /v1/endpoints': { scope: 'manage', tenant: 'body' },
  'GET /v1/endpoints': { scope: 'read', tenant: 'query' },
  'GET /v1/endpoints/{id}': { scope: 'read', tenant: 'endpoint' },
  'PATCH /v1/endpoints/{id}': { scope: 'manage', tenant: 'endpoint' },
  'DELETE /v1/endpoints/{id}': { scope: 'manage', tenant: 'endpoint' },
  'POST /v1/endpoints/{id}/rotate-secret': { scope: 'manage', tenant: 'endpoint' },
  'POST /v1/endpoints/{id}/test': { scope: 'manage', tenant: 'endpoint' },
  'POST /v1/endpoints/{id}/recover': { scope: 'manage', tenant: 'endpoint' },
  'GET /v1/endpoints/{id}/stats': { scope: 'read', tenant: 'endpoint' },
  'GET /v1/endpoints/{id}/deliveries': { scope: 'read', tenant: 'endpoint' },
  'POST /v1/events': { scope: 'publish', tenant: 'body' },
  'POST /v1/events/batch': { scope: 'publish', tenant: 'batch' },
  'GET /v1/events/{id}': { scope: 'read', tenant: 'event' },
  'GET /v1/deliveries': { scope: 'read', tenant: 'all' },
  'GET /v1/deliveries/{id}': { scope: 'read', tenant: 'delivery' },
  'POST /v1/deliveries/{id}/retry': { scope: 'manage', tenant: 'delivery' },
  // The event-type catalog is the deployment's, shared by every tenant: changed by admins, read by any read grant
  // (a tenant's key or portal session picks the types its endpoints subscribe to).
  'PUT /v1/event-types/{type}': { scope: 'admin', tenant: 'all' },
  'GET /v1/event-types/{type}': { scope: 'read', tenant: 'shared' },
  'DELETE /v1/event-types/{type}': { scope: 'admin', tenant: 'all' },
  'GET /v1/event-types': { scope: 'read', tenant: 'shared' },
  // A tenant's contacts: changed by an admin key, or one limited to that tenant (a customer manages where its own notices go).
  'PUT /v1/tenants/{tenant}/contacts': { scope: 'admin', tenant: 'path' },
  'GET /v1/tenants/{tenant}/contacts': { scope: 'read', tenant: 'path' },
  'DELETE /v1/tenants/{tenant}/contacts': { scope: 'admin', tenant: 'path' },
  'GET /v1/keys': { scope: 'admin', tenant: 'all' },
  'POST /v1/keys': { scope: 'admin', tenant: 'all' },
  'DELETE /v1/keys/{id}': { scope: 'admin', tenant: 'all' },
  // Minting a tenant's portal session: an admin of that tenant (a session can never mint one: it has no admin).
  'POST /v1/tenants/{tenant}/portal-sessions': { scope: 'admin', tenant: 'path' },
  'GET /v1/session': { scope: 'authenticated', tenant: 'all' },
  // The operator's overview reads every tenant's endpoints and the deployment's queues: an unlimited read.
  'GET /v1/overview': { scope: 'read', tenant: 'all' },
};

const UNLISTED: RouteAccess = { scope: 'admin', tenant: 'all' };

/** What the middleware needs to know about a request's route and the resources it names. */
export interface AccessOptions {
  /** The route pattern (`/v1/endpoints/{id}`) and path parameters of a request (throws the router's 404/405). */
  readonly match: (method: string, path: string) => { readonly pattern: string; readonly params: Readonly<Record<string, string>> };
  /** The tenant of a resource ('' = none), or undefined when it does not exist. Asked only for tenant-limited principals. */
  readonly tenantOf: (kind: 'endpoint' | 'event' | 'delivery', id: string, tenantHint: string) => Promise<string | undefined>;
}

/**
 * Checks the principal against the route's row of ROUTE_ACCESS (run after auth and json-body):
 * - no grant of the scope (nor admin): 403 naming the scope it lacks;
 * - a grant limited to tenants that do not include the tenant in the body or query: 403 naming scope and tenant;
 * - the same for a resource named in the path: 404, as for a resource that does not exist, so a key learns nothing
 *   about other tenants' ids.
 *
 * A principal whose grant covers every tenant costs no lookup. A portal session's request that names no tenant (a
 * create without `tenant`, a list without `?tenant=`, a client event id without `?tenant=`) is taken as its tenant's:
 * the session sees and creates only its own, without having to say so.
 */
export function access(options: AccessOptions): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async (request) => {
      const event = request.event;
      const method = event.requestContext.http.method.toUpperCase();
      const { pattern, params } = options.match(method, event.rawPath);
      const rule = ROUTE_ACCESS[`${method} ${pattern}`] ?? UNLISTED;
      if (rule.scope === 'public') return;
      const principal = event.principal;
      if (principal === undefined) throw new ForbiddenError('no principal');
      if (rule.scope === 'authenticated') return;
      if (principal.session !== undefined) bindToTenant(rule.tenant, event, principal.session.tenant);
      const scope = rule.scope;
      const target: TenantTarget = coversEveryTenant(principal, scope) ? { kind: 'all' } : await targetOf(rule.tenant, event, params, options);
      const decision = decideAccess(principal, scope, target);
      if (decision.kind === 'allow') return;
      const who = describe(principal);
      if (decision.kind === 'missing_scope') throw new ForbiddenError(`${who} lacks the ${scope} scope`);
      if (rule.tenant === 'endpoint' || rule.tenant === 'event' || rule.tenant === 'delivery') throw new NotFoundError(rule.tenant);
      if (target.kind === 'one' && target.tenant !== '') throw new ForbiddenError(`${who} has the ${scope} scope only for other tenants, not "${target.tenant}"`);
      if (target.kind === 'one') throw new ForbiddenError(`${who} has the ${scope} scope only for named tenants, not for requests without a tenant`);
      throw new ForbiddenError(
        `${who} has the ${scope} scope only for named tenants, not across tenants${rule.tenant === 'query' ? ' (pass ?tenant=)' : ''}`,
      );
    },
  };
}

/** Fills in a portal session's tenant where a request names none (the body's `tenant`, the query's `?tenant=`). */
function bindToTenant(source: TenantSource, event: ApiEvent, tenant: string): void {
  if (source === 'body') {
    const body = event.jsonBody;
    if (typeof body === 'object' && body !== null && !Array.isArray(body) && (body as { tenant?: unknown }).tenant == null) {
      event.jsonBody = { ...body, tenant };
    }
  } else if (source === 'query' || source === 'event') {
    if (event.queryStringParameters?.tenant === undefined) event.queryStringParameters = { ...event.queryStringParameters, tenant };
  }
}

async function targetOf(source: TenantSource, event: ApiEvent, params: Readonly<Record<string, string>>, options: AccessOptions): Promise<TenantTarget> {
  switch (source) {
    case 'body': {
      const body = event.jsonBody;
      const tenant = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { tenant?: unknown }).tenant : undefined;
      return { kind: 'one', tenant: typeof tenant === 'string' ? tenant : '' };
    }
    case 'batch': {
      // The events' tenants: one tenant is that tenant; several need a key that is not limited to tenants.
      const body = event.jsonBody as { events?: unknown } | null | undefined;
      const events = typeof body === 'object' && body !== null && Array.isArray(body.events) ? (body.events as unknown[]) : [];
      const tenants = new Set(
        events.map((e) => {
          const tenant = typeof e === 'object' && e !== null ? (e as { tenant?: unknown }).tenant : undefined;
          return typeof tenant === 'string' ? tenant : '';
        }),
      );
      return tenants.size === 1 ? { kind: 'one', tenant: [...tenants][0] as string } : { kind: 'all' };
    }
    case 'query': {
      const tenant = event.queryStringParameters?.tenant;
      return tenant === undefined ? { kind: 'all' } : { kind: 'one', tenant };
    }
    case 'endpoint':
    case 'event':
    case 'delivery': {
      // A client's own event id is scoped by tenant: `?tenant=` says whose it is.
      const tenant = await options.tenantOf(source, params.id ?? '', event.queryStringParameters?.tenant ?? '');
      return tenant === undefined ? { kind: 'unknown' } : { kind: 'one', tenant };
    }
    case 'path':
      return { kind: 'one', tenant: params.tenant ?? '' };
    case 'all':
      return { kind: 'all' };
    case 'shared':
      return { kind: 'shared' };
  }
}

function describe(principal: Principal): string {
  switch (principal.kind) {
    case 'deployment_key':
      return 'the deployment key';
    case 'api_key':
      return `API key ${principal.id}`;
    case 'portal_session':
      return 'this portal session';
  }
}
