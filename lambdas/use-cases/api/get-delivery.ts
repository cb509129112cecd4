/**
 * GET /v1/deliveries/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { Attempt, Delivery } from '../../core/model';
import type { ApiUseCaseDeps } from './deps';

/**
 * One delivery with every attempt, oldest first (one not attempted yet is `pending`, with none).
 * @throws NotFoundError when there is no delivery with this id
 */
export async function getDelivery(deps: ApiUseCaseDeps, id: string): Promise<{ delivery: Delivery; attempts: readonly Attempt[] }> {
  const found = await deps.events.getDelivery(id);
  if (found === undefined) throw new NotFoundError('delivery');
  return { delivery: found.delivery, attempts: found.delivery.attempts ?? [] };
}
