/**
 * PUT /v1/event-types/{type}: register or replace an event type.
 */
import type { EventTypeDefinition, EventTypeInput } from '../../core/event-catalog';
import type { ApiUseCaseDeps } from './deps';

/**
 * Stores a validated definition under `type` (created, or replaced keeping its creation time). Events already
 * accepted are not checked again; later publishes of the type are checked against the new schema.
 */
export async function putEventType(
  deps: ApiUseCaseDeps,
  type: string,
  input: EventTypeInput,
): Promise<{ readonly definition: EventTypeDefinition; readonly created: boolean }> {
  const now = deps.clock.now();
  const definition: EventTypeDefinition = { type, ...input, createdAt: now, updatedAt: now };
  const { created } = await deps.catalog.store.put(definition);
  deps.catalog.forget(type);
  const stored = created ? definition : ((await deps.catalog.store.get(type)) ?? definition);
  return { definition: stored, created };
}
