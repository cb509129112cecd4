/**
 * GET /v1/deliveries/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { Attempt, Delivery } from '../../core/model';
import type { ApiUseCaseDeps } from './deps';

/**
 * One delivery with every attempt, oldest first.
 * @throws NotFoundError when there is no delivery with this id
 */
export async function getDelivery(deps: ApiUseCaseDeps, id: string): Promise<{ delivery: Delivery; attempts: Attempt[] }> {
  const found = await deps.events.getDeliveryWithAttempts(id);
  if (found === undefined) throw new NotFoundError('delivery');
  return found;
}
