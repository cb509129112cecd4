/**
 * Durable intake, shared by publishing and by the test route: store the event, then every delivery, then
 * queue the pending deliveries. Each step is idempotent, so a request resumed after a crash or a 503 repeats
 * it safely and never creates a second delivery for an (event, endpoint) pair.
 */
import { createHash } from 'node:crypto';
import { ConflictError, HeraldError, UnavailableError } from '../../core/errors';
import { makeId } from '../../core/ids';
import { newDelivery, type Delivery, type HeraldEvent } from '../../core/model';
import type { FanOutEntry } from '../../ports/event-store';
import { enqueue, nextAttemptMessage, type ApiUseCaseDeps } from './deps';

/** The 503 message of a failed intake: the client must retry, and with a key that retry is safe. */
export const INTAKE_UNAVAILABLE = 'Herald could not store or queue the event; retry with the same Idempotency-Key';

/** Why a delivery to a disabled endpoint was recorded but never queued. */
export const SKIPPED_REASON = 'endpoint disabled when the event was published';

/**
 * The id of the delivery of `eventId` to `endpointId`. Deterministic, so every attempt to accept the same event
 * (a resumed request) addresses the same delivery record and the conditional create keeps the first one.
 * Shaped like every other id: the event's acceptance time, then 80 bits of sha256 of the pair.
 */
export function deliveryIdFor(eventId: string, endpointId: string, eventCreatedAt: number): string {
  const digest = createHash('sha256').update(`${eventId}\n${endpointId}`).digest();
  return makeId('dlv', eventCreatedAt, digest.subarray(0, 10));
}

/** The fan-out entry of one endpoint: pending when it is enabled, skipped (recorded, never queued) when not. */
export function fanOutEntry(eventId: string, eventCreatedAt: number, endpoint: { id: string; disabled: boolean }): FanOutEntry {
  return {
    deliveryId: deliveryIdFor(eventId, endpoint.id, eventCreatedAt),
    endpointId: endpoint.id,
    status: endpoint.disabled ? 'skipped' : 'pending',
  };
}

/**
 * Stores the event, then the deliveries of `fanOut`, then sends one message per pending delivery
 * (groupId = endpoint, attempt 1). Pending deliveries are due now, so the sweep enqueues any that the queue
 * never got. Any store or queue failure is an UnavailableError (503).
 *
 * The event goes first so that a stored delivery always has its event: the sweep may pick a delivery up as soon
 * as it exists (even when this request then fails), and the worker needs the event to send it. An event whose
 * deliveries were not all written is completed by the client's retry with the same key (the writes are
 * idempotent); without a key it was answered 503, so it was never accepted. Checking the event first also means
 * an id taken by another key is refused before anything of this request is written.
 *
 * @throws ConflictError when an event with this id already exists under another idempotency key
 */
export async function acceptEvent(
  deps: ApiUseCaseDeps,
  event: Omit<HeraldEvent, 'deliveryIds'>,
  fanOut: readonly FanOutEntry[],
): Promise<void> {
  const now = deps.clock.now();
  const deliveries: Delivery[] = fanOut.map((entry) =>
    newDelivery({
      id: entry.deliveryId,
      event,
      endpointId: entry.endpointId,
      now,
      ...(entry.status === 'skipped' ? { skippedReason: SKIPPED_REASON } : {}),
    }),
  );
  const stored = await intakeStep(() =>
    deps.events.createEvent({ ...event, deliveryIds: fanOut.map((entry) => entry.deliveryId) }),
  );
  if (!stored.created && stored.existing.idempotencyKey !== event.idempotencyKey) {
    throw new ConflictError(`an event with id ${event.id} already exists`);
  }
  await intakeStep(() => deps.events.createDeliveries(deliveries));
  await enqueue(
    deps.queue,
    deliveries.filter((d) => d.status === 'pending').map(nextAttemptMessage),
    INTAKE_UNAVAILABLE,
  );
}

/** Runs one store step of the intake; any failure but a client error becomes the intake's 503. */
export async function intakeStep<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof HeraldError && !(error instanceof UnavailableError)) throw error;
    const unavailable = new UnavailableError(INTAKE_UNAVAILABLE);
    unavailable.cause = error instanceof UnavailableError && error.cause !== undefined ? error.cause : error;
    throw unavailable;
  }
}
