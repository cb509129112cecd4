/**
 * GET /v1/event-types/{type}.
 */
import type { EventTypeDefinition } from '../../core/event-catalog';
import { NotFoundError } from '../../core/errors';
import type { ApiUseCaseDeps } from './deps';

/** @throws NotFoundError when the type is not registered */
export async function getEventType(deps: ApiUseCaseDeps, type: string): Promise<EventTypeDefinition> {
  const definition = await deps.catalog.store.get(type);
  if (definition === undefined) throw new NotFoundError('event type');
  return definition;
}
