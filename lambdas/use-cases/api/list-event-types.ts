/**
 * GET /v1/event-types.
 */
import type { EventTypeDefinition } from '../../core/event-catalog';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { ApiUseCaseDeps } from './deps';

/** The catalog in type order, one page at a time. */
export function listEventTypes(deps: ApiUseCaseDeps, page: PageRequest): Promise<Page<EventTypeDefinition>> {
  return deps.catalog.store.list(page);
}
