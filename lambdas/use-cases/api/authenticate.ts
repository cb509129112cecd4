/**
 * Who a bearer token is: the deployment's own key, a scoped API key, or (issue 14) any further principal source
 * such as portal sessions. Every source answers with a Principal, so the access middleware treats them alike.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DEPLOYMENT_PRINCIPAL, portalPrincipal, type Principal } from '../../core/access';
import type { ApiKeys, Clock } from '../../ports';
import type { ApiKeyStore, StoredApiKey } from '../../ports/api-key-store';
import type { PortalSessionTokens, PortalTokenRejection } from '../../ports/portal-sessions';

/** Anything that can tell whether a token is one of its principals (e.g. portal sessions). */
export interface PrincipalSource {
  /** The principal of `token`, or undefined when the token is not one of this source's. */
  principal(token: string): Promise<Principal | undefined>;
}

/** A scoped key: `hk_` + the key id's 26 ULID characters + `_` + 32 base64url characters (24 random bytes). */
export const API_KEY_PATTERN = /^hk_([0-7][0-9A-HJKMNP-TV-Z]{25})_([A-Za-z0-9_-]{32})$/;

/** How long a stored key, once read, is trusted by one container: a revocation elsewhere takes effect within it. */
export const API_KEY_CACHE_MS = 30_000;

export function keyHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Finds the principal of a bearer token, trying in turn:
 * 1. the deployment's keys (Secrets Manager's AWSCURRENT and AWSPREVIOUS; HERALD_API_KEY locally): compared in
 *    constant time against every key, without stopping at a match; admin over every tenant;
 * 2. a scoped key (`hk_<id>_<secret>`): read by its id, its SHA-256 compared in constant time with the stored hash;
 *    a key read is trusted for API_KEY_CACHE_MS by this container (revoking through this container forgets it at once);
 * 3. the further sources, in order.
 *
 * @throws whatever a source throws when it cannot answer (the middleware makes that a 503, never a 401)
 */
export class Authenticator implements PrincipalSource {
  private readonly cache = new Map<string, { key: StoredApiKey; readAt: number }>();

  constructor(
    private readonly deploymentKeys: ApiKeys,
    private readonly apiKeys: ApiKeyStore,
    private readonly clock: Clock,
    private readonly others: readonly PrincipalSource[] = [],
  ) {}

  async principal(token: string): Promise<Principal | undefined> {
    if (token === '') return undefined;
    if (await this.isDeploymentKey(token)) return DEPLOYMENT_PRINCIPAL;
    const match = API_KEY_PATTERN.exec(token);
    if (match !== null) {
      const key = await this.storedKey(`key_${match[1]!}`);
      if (key === undefined) return undefined;
      const offered = Buffer.from(keyHash(token), 'hex');
      const stored = Buffer.from(key.keyHash, 'hex');
      return offered.length === stored.length && timingSafeEqual(offered, stored) ? { kind: 'api_key', id: key.id, grants: key.grants } : undefined;
    }
    for (const source of this.others) {
      const principal = await source.principal(token);
      if (principal !== undefined) return principal;
    }
    return undefined;
  }

  /** Drops a key from this container's cache (after it was revoked here). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  private async isDeploymentKey(token: string): Promise<boolean> {
    const offered = digest(token);
    let accepted = false;
    for (const key of await this.deploymentKeys.keys()) {
      if (key !== '' && timingSafeEqual(offered, digest(key))) accepted = true;
    }
    return accepted;
  }

  private async storedKey(id: string): Promise<StoredApiKey | undefined> {
    const now = this.clock.now();
    const cached = this.cache.get(id);
    if (cached !== undefined && now - cached.readAt < API_KEY_CACHE_MS) return cached.key;
    const key = await this.apiKeys.get(id);
    if (key === undefined) this.cache.delete(id);
    else this.cache.set(id, { key, readAt: now });
    return key;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Portal session tokens as principals: a token that verifies (signature under the current secret, not expired)
 * is `read` and `manage` of its one tenant. A refused token is no principal (the same 401 as a wrong key); why it
 * was refused goes to `onRefused` (the logs), never to the caller.
 */
export class PortalSessionPrincipals implements PrincipalSource {
  constructor(
    private readonly tokens: PortalSessionTokens,
    private readonly onRefused: (reason: PortalTokenRejection) => void = () => undefined,
  ) {}

  async principal(token: string): Promise<Principal | undefined> {
    if (!this.tokens.recognises(token)) return undefined;
    const verified = await this.tokens.verify(token);
    if (!verified.ok) {
      this.onRefused(verified.reason);
      return undefined;
    }
    const { id, tenant, expiresAt, title } = verified.claims;
    return portalPrincipal(id, { tenant, expiresAt, ...(title === undefined ? {} : { title }) });
  }
}
