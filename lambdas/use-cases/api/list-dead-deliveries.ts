/**
 * GET /v1/deliveries?status=dead.
 */
import type { Delivery } from '../../core/model';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { ApiUseCaseDeps } from './deps';

/** Dead letters across every endpoint, newest first (what the console's dead-letter view lists). */
export function listDeadDeliveries(deps: ApiUseCaseDeps, query: PageRequest): Promise<Page<Delivery>> {
  return deps.events.listDeadDeliveries(query);
}
