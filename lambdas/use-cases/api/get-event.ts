/**
 * GET /v1/events/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { Delivery, HeraldEvent } from '../../core/model';
import type { ApiUseCaseDeps } from './deps';

/**
 * The event and its deliveries (current status of each).
 * @throws NotFoundError when there is no event with this id
 */
export async function getEvent(deps: ApiUseCaseDeps, id: string): Promise<{ event: HeraldEvent; deliveries: Delivery[] }> {
  const event = await deps.events.getEvent(id);
  if (event === undefined) throw new NotFoundError('event');
  return { event, deliveries: await deps.events.getDeliveries(event.deliveryIds) };
}
