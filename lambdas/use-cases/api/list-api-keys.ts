/**
 * GET /v1/keys.
 */
import type { StoredApiKey } from '../../ports/api-key-store';
import type { ApiUseCaseDeps } from './deps';

/** Every scoped key, oldest first (never the keys themselves: only their hashes are stored). */
export function listApiKeys(deps: ApiUseCaseDeps): Promise<StoredApiKey[]> {
  return deps.apiKeys.list();
}
