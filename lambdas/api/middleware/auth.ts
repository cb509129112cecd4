/**
 * Bearer authentication: who the caller is. What the caller may do is the access middleware's (./access.ts).
 */
import type { MiddlewareObj } from '@middy/core';
import type { Principal } from '../../core/access';
import { UnauthorizedError, UnavailableError } from '../../core/errors';
import type { PrincipalSource } from '../../use-cases/api/authenticate';
import type { ApiEvent, ApiResult } from './types';

const BEARER = /^Bearer +([^\s]+) *$/i;

export interface AuthOptions {
  readonly principals: PrincipalSource;
  /** Requests that need no key (GET /health). */
  readonly isPublic: (event: ApiEvent) => boolean;
}

/**
 * Requires `Authorization: Bearer <key>` naming a principal (the deployment's key, a scoped API key, ...), and puts
 * it on `event.principal`. Every failure (no header, another scheme, an unknown or revoked key) is the same 401, so
 * a caller learns nothing about which part was wrong. Keys are compared in constant time
 * (use-cases/api/authenticate.ts).
 *
 * Expects lower-cased header names (run after the header normalizer).
 */
export function auth(options: AuthOptions): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async (request) => {
      if (options.isPublic(request.event)) return;
      const principal = await principalOf(options.principals, request.event.headers?.authorization);
      if (principal === undefined) throw new UnauthorizedError();
      request.event.principal = principal;
    },
  };
}

/**
 * The principal an `Authorization` header value names, or undefined. Shared by the middleware and local mode's
 * gateway, which checks the key before it reads a request body.
 *
 * @throws UnavailableError (503) when the keys cannot be read
 */
export async function principalOf(principals: PrincipalSource, authorization: string | undefined): Promise<Principal | undefined> {
  const match = BEARER.exec(authorization ?? '');
  if (match === null) return undefined;
  try {
    return await principals.principal(match[1] ?? '');
  } catch (error) {
    const unavailable = new UnavailableError('Herald could not verify the API key; retry the request');
    unavailable.cause = error;
    throw unavailable;
  }
}
