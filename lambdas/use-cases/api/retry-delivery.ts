/**
 * POST /v1/deliveries/{id}/retry.
 */
import { ConflictError, NotFoundError } from '../../core/errors';
import type { Delivery } from '../../core/model';
import { enqueue, type ApiUseCaseDeps } from './deps';
import { startRound } from './redeliver';

/**
 * Redelivers one delivery now, whatever its status (dead and delivered included): starts a new round (see
 * startRound) and queues its next attempt. A pending delivery is only queued again, so repeating the call
 * after a 503 is safe.
 *
 * @throws NotFoundError when the delivery does not exist
 * @throws ConflictError when its endpoint was deleted (there is nowhere to deliver to), or an attempt is in flight
 * @throws UnavailableError when the message could not be queued (the delivery is due, so the sweep queues it)
 */
export async function retryDelivery(deps: ApiUseCaseDeps, id: string): Promise<Delivery> {
  const read = await deps.events.getDelivery(id);
  if (read === undefined) throw new NotFoundError('delivery');
  const { delivery } = read;
  if ((await deps.endpoints.get(delivery.endpointId)) === undefined) {
    throw new ConflictError(`endpoint ${delivery.endpointId} of this delivery was deleted`);
  }
  const round = await startRound(deps, read);
  if (round.kind === 'missing') throw new NotFoundError('delivery');
  if (round.kind === 'busy') throw new ConflictError('an attempt of this delivery is in progress; retry in a few seconds');
  await enqueue(deps.queue, [round.message], 'the redelivery was recorded but could not be queued; retry the request');
  return round.delivery;
}
