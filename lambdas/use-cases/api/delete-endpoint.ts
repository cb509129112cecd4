/**
 * DELETE /v1/endpoints/{id}.
 */
import { ConflictError, NotFoundError } from '../../core/errors';
import { isFinal, type Delivery } from '../../core/model';
import { removeSubscription } from './contacts';
import type { ApiUseCaseDeps } from './deps';

export const DELETED_REASON = 'endpoint deleted';
const CONCURRENCY = 8;
const TRANSITION_TRIES = 3;

/**
 * Deletes an endpoint. Its stored deliveries that are still waiting (pending, retrying or parked) are canceled
 * first (status `canceled`, final reason `endpoint deleted`, out of the sweep's index), so nothing is sent to it
 * afterwards and the sweep does not revive them; then fan-out to it stops and the endpoint itself is deleted. A
 * delivery whose first attempt is still queued is canceled by the worker, which finds its endpoint gone. Cancel-then-delete makes
 * a repeated call after a 503 finish the job. Delivery history (events, deliveries, attempts) is kept until
 * it expires.
 *
 * @returns how many deliveries were canceled
 * @throws NotFoundError when there is no endpoint with this id
 */
export async function deleteEndpoint(deps: ApiUseCaseDeps, id: string): Promise<{ canceled: number }> {
  const endpoint = await deps.endpoints.get(id);
  if (endpoint === undefined) throw new NotFoundError('endpoint');
  const waiting = await deps.events.listAllDeliveriesOfEndpoint(id, ['pending', 'retrying', 'parked']);
  let canceled = 0;
  for (let i = 0; i < waiting.length; i += CONCURRENCY) {
    const results = await Promise.all(waiting.slice(i, i + CONCURRENCY).map((d) => cancel(deps, d)));
    canceled += results.filter(Boolean).length;
  }
  // Its e-mail contact stops receiving notices before the endpoint goes (a failure leaves it to a repeated call).
  await removeSubscription(deps, { kind: 'endpoint', endpointId: id }, endpoint.contacts);
  await deps.endpoints.delete(id);
  return { canceled };
}

/** Cancels one delivery unless it reached a final status meanwhile; retried on a lost race with the worker. */
async function cancel(deps: ApiUseCaseDeps, delivery: Delivery): Promise<boolean> {
  let current: Delivery | undefined = delivery;
  for (let attempt = 0; attempt < TRANSITION_TRIES; attempt++) {
    if (current === undefined || isFinal(current.status)) return false;
    const { nextAttemptAt: _dropped, attempts: _attempts, lastOutcome: _last, ...rest } = current;
    const next: Delivery = { ...rest, status: 'canceled', finalReason: DELETED_REASON, updatedAt: deps.clock.now() };
    if (await deps.events.transition(current, next)) return true;
    current = (await deps.events.getDelivery(current.id))?.delivery;
  }
  throw new ConflictError(`delivery ${delivery.id} kept changing while its endpoint was being deleted; retry`);
}
