/**
 * GET /v1/endpoints/{id}/deliveries?status=&limit=&cursor=.
 */
import { NotFoundError } from '../../core/errors';
import type { Delivery, DeliveryStatus } from '../../core/model';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { ApiUseCaseDeps } from './deps';

/**
 * One endpoint's deliveries, newest first, optionally only those of one status.
 * @throws NotFoundError when there is no endpoint with this id
 */
export async function listEndpointDeliveries(
  deps: ApiUseCaseDeps,
  endpointId: string,
  query: PageRequest & { readonly status?: DeliveryStatus },
): Promise<Page<Delivery>> {
  if ((await deps.endpoints.get(endpointId)) === undefined) throw new NotFoundError('endpoint');
  return deps.events.listDeliveriesOfEndpoint({ ...query, endpointId });
}
