/**
 * Bearer API key authentication.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import { UnauthorizedError, UnavailableError } from '../../core/errors';
import type { ApiKeys } from '../../ports';
import type { ApiEvent, ApiResult } from './types';

const BEARER = /^Bearer +([^\s]+) *$/i;

export interface AuthOptions {
  readonly apiKeys: ApiKeys;
  /** Requests that need no key (GET /health). */
  readonly isPublic: (event: ApiEvent) => boolean;
}

/**
 * Requires `Authorization: Bearer <key>` with one of the accepted keys (current and, during a rotation,
 * previous). Every failure (no header, another scheme, a wrong key) is the same 401, so a caller learns nothing
 * about which part was wrong.
 *
 * Constant time: the offered key and every accepted key are hashed with SHA-256 and the equal-length digests
 * compared with `timingSafeEqual`, against every key without stopping at a match, so neither the length nor
 * the content of a key leaks through response timing.
 *
 * Expects lower-cased header names (run after the header normalizer).
 */
export function auth(options: AuthOptions): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async (request) => {
      if (options.isPublic(request.event)) return;
      if (!(await bearerAccepted(options.apiKeys, request.event.headers?.authorization))) throw new UnauthorizedError();
    },
  };
}

/**
 * Whether an `Authorization` header value carries one of the accepted keys (constant time, as above). Shared by
 * the middleware and local mode's gateway, which checks the key before it reads a request body.
 *
 * @throws UnavailableError (503) when the keys cannot be read
 */
export async function bearerAccepted(apiKeys: ApiKeys, authorization: string | undefined): Promise<boolean> {
  const match = BEARER.exec(authorization ?? '');
  if (match === null) return false;
  let keys: readonly string[];
  try {
    keys = await apiKeys.keys();
  } catch (error) {
    const unavailable = new UnavailableError('Herald could not verify the API key; retry the request');
    unavailable.cause = error;
    throw unavailable;
  }
  const offered = digest(match[1] ?? '');
  let accepted = false;
  for (const key of keys) {
    if (key !== '' && timingSafeEqual(offered, digest(key))) accepted = true;
  }
  return accepted;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
