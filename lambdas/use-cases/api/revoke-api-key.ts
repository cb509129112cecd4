/**
 * DELETE /v1/keys/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { ApiUseCaseDeps } from './deps';

/**
 * Deletes a scoped key. It stops working at once in this container and within API_KEY_CACHE_MS (30 s) in every
 * other one (use-cases/api/authenticate.ts). The deployment's own key is not a scoped key: it is rotated in Secrets
 * Manager.
 *
 * @throws NotFoundError when there is no key with this id
 */
export async function revokeApiKey(deps: ApiUseCaseDeps, id: string, forget: (id: string) => void): Promise<void> {
  const existed = await deps.apiKeys.delete(id);
  forget(id);
  if (!existed) throw new NotFoundError('API key');
}
