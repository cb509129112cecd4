/**
 * POST /v1/keys: a new scoped API key, shown once.
 */
import type { Grant, Principal } from '../../core/access';
import { makeId } from '../../core/ids';
import type { StoredApiKey } from '../../ports/api-key-store';
import { keyHash } from './authenticate';
import type { ApiUseCaseDeps } from './deps';

export interface NewApiKey {
  readonly name: string;
  readonly grants: readonly Grant[];
}

/**
 * Stores a key with the given grants. The key (`hk_<id>_<32 random characters>`, 192 random bits) is returned here
 * and never again: only its SHA-256 hash is stored, like a password.
 */
export async function createApiKey(deps: ApiUseCaseDeps, input: NewApiKey, creator: Principal): Promise<{ apiKey: StoredApiKey; key: string }> {
  const now = deps.clock.now();
  const id = makeId('key', now, deps.randomBytes(10));
  const key = `hk_${id.slice('key_'.length)}_${Buffer.from(deps.randomBytes(24)).toString('base64url')}`;
  const apiKey: StoredApiKey = { id, name: input.name, grants: input.grants, keyHash: keyHash(key), createdAt: now, createdBy: creator.id };
  await deps.apiKeys.create(apiKey);
  return { apiKey, key };
}
