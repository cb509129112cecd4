/**
 * The storage port of the event-type catalog. The DynamoDB adapter (lambdas/adapters/dynamo/event-type-store.ts)
 * keeps each type as one item, pk `ETYPE`, sk the type.
 */
import type { EventTypeDefinition } from '../core/event-catalog';
import type { Page, PageRequest } from './endpoint-store';

export interface EventTypeStore {
  /** Creates or replaces a type's definition; `created` says which. */
  put(definition: EventTypeDefinition): Promise<{ readonly created: boolean }>;
  get(type: string): Promise<EventTypeDefinition | undefined>;
  /** False when there was nothing to delete. */
  delete(type: string): Promise<boolean>;
  /** The catalog in type order. */
  list(page: PageRequest): Promise<Page<EventTypeDefinition>>;
}
