/**
 * POST /v1/endpoints/{id}/recover.
 */
import { NotFoundError } from '../../core/errors';
import type { Delivery, DeliveryStatus } from '../../core/model';
import type { QueuedDelivery } from '../../ports';
import { enqueue, type ApiUseCaseDeps } from './deps';
import { startRound } from './redeliver';

/**
 * What recover redelivers: every delivery that failed: dead ones (given up), canceled ones (a 410, or
 * canceled by hand) and retrying ones (failed at least once; recover sends them now instead of at their
 * scheduled time, with a fresh schedule). Delivered, skipped and pending ones are left alone.
 */
export const RECOVERABLE_STATUSES: readonly DeliveryStatus[] = ['dead', 'canceled', 'retrying'];
/** At most this many deliveries per call; `more` tells the client to call again (recovered ones are pending, so not picked twice). */
export const RECOVER_MAX = 1000;
const CONCURRENCY = 8;

export interface RecoverResult {
  readonly count: number;
  readonly deliveryIds: readonly string[];
  /**
   * True when not everything could be recovered in this call: more than RECOVER_MAX matched, or some had an
   * attempt in flight. Call recover again with the same `since`.
   */
  readonly more: boolean;
}

/**
 * Redelivers every failed delivery of an endpoint whose event was created at or after `since`, oldest first, each in a new
 * round (see startRound), and queues them.
 *
 * @throws NotFoundError when the endpoint does not exist
 * @throws UnavailableError when the messages could not be queued (the deliveries are due, so the sweep queues them)
 */
export async function recoverDeliveries(deps: ApiUseCaseDeps, endpointId: string, since: number): Promise<RecoverResult> {
  if ((await deps.endpoints.get(endpointId)) === undefined) throw new NotFoundError('endpoint');
  const found: Delivery[] = await deps.events.listAllDeliveriesOfEndpoint(endpointId, RECOVERABLE_STATUSES, since);
  found.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const chosen = found.slice(0, RECOVER_MAX);
  const started: { delivery: Delivery; message: QueuedDelivery }[] = [];
  let busy = 0;
  for (let i = 0; i < chosen.length; i += CONCURRENCY) {
    const rounds = await Promise.all(chosen.slice(i, i + CONCURRENCY).map((d) => startRound(deps, { delivery: d, stored: true })));
    for (const round of rounds) {
      if (round.kind === 'started') started.push(round);
      else if (round.kind === 'busy') busy++;
    }
  }
  await enqueue(
    deps.queue,
    started.map((r) => r.message),
    'the redeliveries were recorded but could not all be queued; they will be queued by the sweep',
  );
  return { count: started.length, deliveryIds: started.map((r) => r.delivery.id), more: found.length > RECOVER_MAX || busy > 0 };
}
