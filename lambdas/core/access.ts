/**
 * Who may do what: principals, their scopes and tenant limits, and the one decision over them. Pure: the api's
 * access middleware (lambdas/api/middleware/access.ts) finds the route's requirement in its route × scope table,
 * resolves the tenant the request touches, and asks `decideAccess`.
 *
 * Scopes:
 * - `admin`: everything, key management, event-type changes and minting portal sessions included;
 * - `publish`: `POST /v1/events` (and the batch route) only;
 * - `read`: the GET routes;
 * - `manage`: a tenant's own endpoint management (create, change, delete, rotate the secret, send a test event,
 *   recover) and redelivery: what a customer does on its portal page, never publishing, keys, event types or
 *   minting sessions. Admin implies it.
 *
 * Each grant may be limited to a set of tenants. An API key, the deployment's own key and (issue 14) a portal
 * session are all principals: a portal session is a principal with `read` and `manage` limited to its one tenant.
 */

export type Scope = 'admin' | 'publish' | 'read' | 'manage';

export const SCOPES: readonly Scope[] = ['admin', 'publish', 'read', 'manage'];

/** What a portal session may do, limited to its tenant: see its data and manage its endpoints and deliveries. */
export const PORTAL_SCOPES: readonly Scope[] = ['read', 'manage'];

export interface Grant {
  readonly scope: Scope;
  /** The tenants this grant covers; absent = every tenant (and endpoints or events without one). */
  readonly tenants?: readonly string[];
}

export type PrincipalKind = 'deployment_key' | 'api_key' | 'portal_session';

export interface Principal {
  readonly kind: PrincipalKind;
  /** `deployment` for the deployment's key, the key id (`key_...`) for an API key, the session id for a portal session. */
  readonly id: string;
  readonly grants: readonly Grant[];
  /** A portal session's claims: the one tenant it is bound to (a request naming no tenant is taken as its), and more. */
  readonly session?: PortalSession;
}

/** What a portal session carries besides its grants (signed into its token, never stored). */
export interface PortalSession {
  /** The only tenant whose data the session sees or changes. */
  readonly tenant: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Shown by the console in portal mode (the operator's product name, say). */
  readonly title?: string;
}

/** The principal of a verified portal session: `read` and `manage` for its one tenant, nothing else. */
export function portalPrincipal(id: string, session: PortalSession): Principal {
  return { kind: 'portal_session', id, grants: PORTAL_SCOPES.map((scope) => ({ scope, tenants: [session.tenant] })), session };
}

/** The deployment's first admin key (Secrets Manager in AWS, HERALD_API_KEY locally): admin, every tenant. */
export const DEPLOYMENT_PRINCIPAL: Principal = { kind: 'deployment_key', id: 'deployment', grants: [{ scope: 'admin' }] };

/**
 * The tenant a request touches, as far as the decision needs it:
 * - `{ kind: 'one', tenant }`: exactly this tenant ('' = none);
 * - `{ kind: 'all' }`: across tenants (a list of every tenant's dead letters, key management): only unlimited grants;
 * - `{ kind: 'unknown' }`: not known before the route runs (the resource does not exist); unlimited grants pass,
 *   limited ones are refused as if the resource were another tenant's;
 * - `{ kind: 'shared' }`: the deployment's own data that every tenant shares (the event-type catalog): any grant of
 *   the scope covers it, whatever its tenants.
 */
export type TenantTarget =
  | { readonly kind: 'one'; readonly tenant: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'shared' };

export type AccessDecision =
  | { readonly kind: 'allow' }
  /** The principal has no grant of the scope (nor admin). */
  | { readonly kind: 'missing_scope'; readonly scope: Scope }
  /** It has the scope, but not for this tenant (or not across tenants). */
  | { readonly kind: 'other_tenant'; readonly scope: Scope };

/** The grants that carry `scope`: its own, and admin, which carries every scope. */
export function grantsFor(principal: Principal, scope: Scope): readonly Grant[] {
  return principal.grants.filter((g) => g.scope === scope || g.scope === 'admin');
}

/** Whether some grant of `scope` covers every tenant: then no tenant needs to be looked up. */
export function coversEveryTenant(principal: Principal, scope: Scope): boolean {
  return grantsFor(principal, scope).some((g) => g.tenants === undefined);
}

/**
 * The decision for a request that needs `scope` on `target`. Admin carries every scope. A grant limited to tenants
 * covers a request only when the request touches exactly one of those tenants: never a request without a tenant,
 * across tenants, or on a resource not found. Shared data (the event-type catalog) is covered by any grant of the
 * scope: a tenant's key or portal session must be able to see which event types exist to subscribe to them.
 */
export function decideAccess(principal: Principal, scope: Scope, target: TenantTarget): AccessDecision {
  const grants = grantsFor(principal, scope);
  if (grants.length === 0) return { kind: 'missing_scope', scope };
  if (target.kind === 'shared' || grants.some((g) => g.tenants === undefined)) return { kind: 'allow' };
  if (target.kind !== 'one' || target.tenant === '') return { kind: 'other_tenant', scope };
  return grants.some((g) => g.tenants!.includes(target.tenant)) ? { kind: 'allow' } : { kind: 'other_tenant', scope };
}
