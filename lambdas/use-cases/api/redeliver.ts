/**
 * Manual redelivery (the retry route and recover): a new round of attempts for a delivery.
 */
import type { Delivery } from '../../core/model';
import type { QueuedDelivery } from '../../ports';
import type { DeliveryRead } from '../../ports/event-store';
import { nextAttemptMessage, type ApiUseCaseDeps } from './deps';
import { parseDeliveryId } from '../../core/ids';

const TRANSITION_TRIES = 3;

export type RoundResult =
  | { readonly kind: 'started'; readonly delivery: Delivery; readonly message: QueuedDelivery }
  /** An attempt is in flight (a worker holds the delivery's lease) or the delivery kept changing: try again shortly. */
  | { readonly kind: 'busy' }
  | { readonly kind: 'missing' };

/**
 * Moves a delivery into a new round and returns the queue message that starts it (the caller sends it).
 *
 * The round: status `pending`, `roundStartedAt = now`, `roundFirstAttempt = attemptCount + 1` (so the retry
 * policy's attempt count and maximum age start afresh, and an old dead delivery gets a full schedule),
 * `nextAttemptAt = now` (indexed for the sweep: if the message is lost, the sweep sends it again), no final reason.
 * Any status may start a round, a delivered one included (a redelivery on purpose). The event is kept for the new
 * round's life (its TTL is moved on).
 *
 * A delivery that is already `pending` (stored, or not attempted yet) is left as it is and only queued again: its
 * next attempt is already waiting, and this keeps the retry route safe to repeat after a 503 (the message is marked
 * as a possible duplicate, so the worker takes a lease and drops it when its attempt was made).
 *
 * The write is conditional on the delivery being unchanged and on no attempt being in flight (the worker's
 * lease): a new round started under a running attempt would be overwritten when that attempt is recorded. On a
 * lost race the fresh state is read and the round started from it.
 */
export async function startRound(deps: ApiUseCaseDeps, read: DeliveryRead): Promise<RoundResult> {
  let current: DeliveryRead | undefined = read;
  for (let attempt = 0; attempt < TRANSITION_TRIES; attempt++) {
    if (current === undefined) return { kind: 'missing' };
    const delivery: Delivery = current.delivery;
    if (!current.stored || delivery.status === 'pending') return { kind: 'started', delivery, message: nextAttemptMessage(delivery) };
    const now = deps.clock.now();
    const { finalReason: _dropped, attempts: _attempts, lastOutcome: _last, ...rest } = delivery;
    const next: Delivery = {
      ...rest,
      status: 'pending',
      roundStartedAt: now,
      roundFirstAttempt: delivery.attemptCount + 1,
      nextAttemptAt: now,
      updatedAt: now,
    };
    if (await deps.events.transition(delivery, next, { notLeasedAt: now })) {
      const eventKey = parseDeliveryId(delivery.id)?.eventKey;
      if (eventKey !== undefined) await deps.events.extendEvent(eventKey, now);
      return { kind: 'started', delivery: next, message: nextAttemptMessage(next) };
    }
    current = await deps.events.getDelivery(delivery.id);
  }
  return current === undefined ? { kind: 'missing' } : { kind: 'busy' };
}
