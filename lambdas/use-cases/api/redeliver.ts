/**
 * Manual redelivery (the retry route and recover): a new round of attempts for a delivery.
 */
import type { Delivery } from '../../core/model';
import type { QueuedDelivery } from '../../ports';
import { nextAttemptMessage, type ApiUseCaseDeps } from './deps';

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
 * `nextAttemptAt = now` (in the work index: if the message is lost, the sweep sends it again), no final reason.
 * Any status may start a round, a delivered one included (a redelivery on purpose).
 *
 * A delivery that is already `pending` is left as it is and only queued again: its next attempt is already
 * waiting, and this keeps the retry route safe to repeat after a 503 (the worker drops a message whose attempt
 * number is stale and never runs two copies of one attempt, so a duplicate costs nothing).
 *
 * The write is conditional on the delivery being unchanged and on no attempt being in flight (the worker's
 * lease): a new round started under a running attempt would be overwritten when that attempt is recorded. On a
 * lost race the fresh state is read and the round started from it.
 */
export async function startRound(deps: ApiUseCaseDeps, delivery: Delivery): Promise<RoundResult> {
  let current: Delivery | undefined = delivery;
  for (let attempt = 0; attempt < TRANSITION_TRIES; attempt++) {
    if (current === undefined) return { kind: 'missing' };
    if (current.status === 'pending') return { kind: 'started', delivery: current, message: nextAttemptMessage(current) };
    const now = deps.clock.now();
    const { finalReason: _dropped, ...rest } = current;
    const next: Delivery = {
      ...rest,
      status: 'pending',
      roundStartedAt: now,
      roundFirstAttempt: current.attemptCount + 1,
      nextAttemptAt: now,
      updatedAt: now,
    };
    if (await deps.events.transition(current, next, { notLeasedAt: now })) {
      return { kind: 'started', delivery: next, message: nextAttemptMessage(next) };
    }
    current = await deps.events.getDelivery(current.id);
  }
  return current === undefined ? { kind: 'missing' } : { kind: 'busy' };
}
