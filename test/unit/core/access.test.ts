import { describe, expect, it } from 'vitest';
import { coversEveryTenant, decideAccess, DEPLOYMENT_PRINCIPAL, portalPrincipal, type Grant, type Principal, type TenantTarget } from '../../../lambdas/core/access';

const key = (...grants: Grant[]): Principal => ({ kind: 'api_key', id: 'key_1', grants });
const one = (tenant: string): TenantTarget => ({ kind: 'one', tenant });
const ALL: TenantTarget = { kind: 'all' };
const UNKNOWN: TenantTarget = { kind: 'unknown' };
const SHARED: TenantTarget = { kind: 'shared' };
const portal = portalPrincipal('ps_1', { tenant: 'a', expiresAt: 0 });

describe('decideAccess', () => {
  it.each([
    // [principal, scope, target, decision]
    [DEPLOYMENT_PRINCIPAL, 'admin', ALL, 'allow'],
    [DEPLOYMENT_PRINCIPAL, 'publish', one(''), 'allow'],
    [key({ scope: 'admin' }), 'read', UNKNOWN, 'allow'],
    [key({ scope: 'publish' }), 'publish', one('a'), 'allow'],
    [key({ scope: 'publish' }), 'read', one('a'), 'missing_scope'],
    [key({ scope: 'read' }), 'admin', ALL, 'missing_scope'],
    [key({ scope: 'read' }), 'publish', one(''), 'missing_scope'],
    [key({ scope: 'read', tenants: ['a'] }), 'read', one('a'), 'allow'],
    [key({ scope: 'read', tenants: ['a'] }), 'read', one('b'), 'other_tenant'],
    [key({ scope: 'read', tenants: ['a'] }), 'read', one(''), 'other_tenant'],
    [key({ scope: 'read', tenants: ['a'] }), 'read', ALL, 'other_tenant'],
    [key({ scope: 'read', tenants: ['a'] }), 'read', UNKNOWN, 'other_tenant'],
    [key({ scope: 'read', tenants: ['a'] }), 'admin', one('a'), 'missing_scope'],
    [key({ scope: 'admin', tenants: ['a'] }), 'read', one('a'), 'allow'],
    [key({ scope: 'admin', tenants: ['a'] }), 'publish', one('b'), 'other_tenant'],
    // An unlimited grant of the scope wins over a limited admin.
    [key({ scope: 'admin', tenants: ['a'] }, { scope: 'read' }), 'read', one('b'), 'allow'],
    [key({ scope: 'read', tenants: ['a'] }, { scope: 'read', tenants: ['b'] }), 'read', one('b'), 'allow'],
    [key(), 'read', one('a'), 'missing_scope'],
    // manage: its own grant, or admin; read does not imply it, nor it read.
    [key({ scope: 'admin' }), 'manage', one('a'), 'allow'],
    [key({ scope: 'admin', tenants: ['a'] }), 'manage', one('b'), 'other_tenant'],
    [key({ scope: 'manage' }), 'manage', one(''), 'allow'],
    [key({ scope: 'manage' }), 'read', one('a'), 'missing_scope'],
    [key({ scope: 'manage' }), 'publish', one('a'), 'missing_scope'],
    [key({ scope: 'manage' }), 'admin', ALL, 'missing_scope'],
    [key({ scope: 'read' }), 'manage', one('a'), 'missing_scope'],
    [key({ scope: 'manage', tenants: ['a'] }), 'manage', one('a'), 'allow'],
    [key({ scope: 'manage', tenants: ['a'] }), 'manage', one('b'), 'other_tenant'],
    // Shared data (the event-type catalog): any grant of the scope, whatever its tenants; never without the scope.
    [key({ scope: 'read', tenants: ['a'] }), 'read', SHARED, 'allow'],
    [key({ scope: 'publish' }), 'read', SHARED, 'missing_scope'],
    [key({ scope: 'manage', tenants: ['a'] }), 'admin', SHARED, 'missing_scope'],
    // A portal session: read and manage of its tenant, nothing else.
    [portal, 'read', one('a'), 'allow'],
    [portal, 'manage', one('a'), 'allow'],
    [portal, 'read', SHARED, 'allow'],
    [portal, 'read', one('b'), 'other_tenant'],
    [portal, 'manage', UNKNOWN, 'other_tenant'],
    [portal, 'read', ALL, 'other_tenant'],
    [portal, 'publish', one('a'), 'missing_scope'],
    [portal, 'admin', one('a'), 'missing_scope'],
  ] as const)('%j needs %s on %j: %s', (principal, scope, target, kind) => {
    expect(decideAccess(principal, scope, target)).toEqual(kind === 'allow' ? { kind } : { kind, scope });
  });

  it('coversEveryTenant: an unlimited grant of the scope or of admin', () => {
    expect(coversEveryTenant(DEPLOYMENT_PRINCIPAL, 'read')).toBe(true);
    expect(coversEveryTenant(key({ scope: 'read', tenants: ['a'] }), 'read')).toBe(false);
    expect(coversEveryTenant(key({ scope: 'read', tenants: ['a'] }, { scope: 'admin' }), 'read')).toBe(true);
    expect(coversEveryTenant(key({ scope: 'publish' }), 'read')).toBe(false);
  });
});
