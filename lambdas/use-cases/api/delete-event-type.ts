/**
 * DELETE /v1/event-types/{type}.
 */
import { NotFoundError } from '../../core/errors';
import type { ApiUseCaseDeps } from './deps';

/**
 * Removes a type from the catalog: later publishes of it are no longer checked. Endpoints subscribed to it keep
 * their subscription (a type need not be registered to be published).
 *
 * @throws NotFoundError when the type is not registered
 */
export async function deleteEventType(deps: ApiUseCaseDeps, type: string): Promise<void> {
  const deleted = await deps.catalog.store.delete(type);
  deps.catalog.forget(type);
  if (!deleted) throw new NotFoundError('event type');
}
