/**
 * GET /v1/events/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { Delivery, HeraldEvent } from '../../core/model';
import type { ApiUseCaseDeps } from './deps';
import { eventKeysOf } from './event-key';

/**
 * The event and its deliveries (current status of each; one not attempted yet is `pending`). A Herald id locates
 * its event; a client's own id is scoped by tenant, so `tenant` ('' = none) says whose it is.
 * @throws NotFoundError when there is no event with this id (for this tenant)
 */
export async function getEvent(deps: ApiUseCaseDeps, id: string, tenant = ''): Promise<{ event: HeraldEvent; deliveries: Delivery[] }> {
  for (const key of eventKeysOf(id, tenant)) {
    const event = await deps.events.getEvent(key);
    if (event !== undefined && event.id === id) return { event, deliveries: await deps.events.getDeliveriesOfEvent(event) };
  }
  throw new NotFoundError('event');
}
