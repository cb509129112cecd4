/**
 * Durable intake, shared by publishing (single and batch) and by the test route: store each event with its
 * fan-out, then queue its deliveries. The event's conditional put is the idempotency claim, so a request resumed
 * after a crash or a 503 finds the first event and never creates a second delivery for an (event, endpoint) pair.
 */
import { ConflictError, HeraldError, UnavailableError } from '../../core/errors';
import { deliveryId } from '../../core/ids';
import { eventCarrier } from '../../core/inline-event';
import { unattemptedDelivery, type HeraldEvent } from '../../core/model';
import type { QueuedDelivery } from '../../ports';
import type { AcceptedDelivery } from '../../ports/event-store';
import { enqueue, type ApiUseCaseDeps } from './deps';

/** The 503 message of a failed intake: the client must retry, and with a key that retry is safe. */
export const INTAKE_UNAVAILABLE = 'Herald could not store or queue the event; retry with the same Idempotency-Key';

export interface AcceptedEvent {
  readonly id: string;
  readonly type: string;
  readonly tenant: string;
  readonly createdAt: number;
  readonly deliveries: readonly AcceptedDelivery[];
  /** True when this is the stored answer of an earlier request with the same key (nothing was created). */
  readonly replayed: boolean;
}

/** An event to accept, and how a stored event under the same key is judged. */
export interface IntakeItem {
  readonly event: HeraldEvent;
  /** The client named the id (or a key): a stored event under it is a replay, or a conflict. Without, it cannot exist. */
  readonly keyed: boolean;
}

/** The deliveries of an event as the 202 names them. */
export function acceptedDeliveries(event: HeraldEvent): AcceptedDelivery[] {
  return event.fanOut.map((f) => ({
    deliveryId: deliveryId(event.key, f.endpointId),
    endpointId: f.endpointId,
    status: f.skipped ? 'skipped' : 'pending',
  }));
}

function acceptedView(event: HeraldEvent, replayed: boolean): AcceptedEvent {
  return { id: event.id, type: event.type, tenant: event.tenant, createdAt: event.createdAt, deliveries: acceptedDeliveries(event), replayed };
}

/**
 * Accepts events: each is stored with a conditional put (one write: its payload and its fan-out), the skipped
 * deliveries of new events are recorded, and one message per pending delivery is sent (attempt 1). The answer is
 * given only after every message is on the queue; otherwise 503.
 *
 * An event whose key is taken is a replay when it was stored from the same request (same fingerprint, same
 * Idempotency-Key): the stored answer is returned and its deliveries still pending are queued again, marked as
 * possible duplicates (the first request may have failed before queueing them; the worker takes a lease for such
 * messages and drops those whose delivery moved on). Another request under the key is a 409.
 *
 * A new event without a key whose messages could not be sent is deleted again (best effort): the 503 told the
 * client it was not accepted, and its retry creates another.
 *
 * @throws PayloadTooLargeError (413) when an event cannot be stored in an item; nothing is written
 * @throws ConflictError (409) on a key or id reused with another request
 * @throws UnavailableError (503) when DynamoDB or SQS fails
 */
export async function acceptEvents(deps: ApiUseCaseDeps, items: readonly IntakeItem[]): Promise<AcceptedEvent[]> {
  for (const { event } of items) deps.events.assertStorable(event);
  const results = await Promise.all(items.map(({ event }) => intakeStep(() => deps.events.createEvent(event))));
  const accepted: AcceptedEvent[] = [];
  const messages: QueuedDelivery[] = [];
  const created: HeraldEvent[] = [];
  const replays: HeraldEvent[] = [];
  let conflict: ConflictError | undefined;
  results.forEach((result, i) => {
    const { event, keyed } = items[i] as IntakeItem;
    if (result.created) {
      created.push(event);
      accepted.push(acceptedView(event, false));
      messages.push(...pendingMessages(event, keyed));
      return;
    }
    const existing = result.existing;
    if (existing.idempotencyKey !== event.idempotencyKey && keyed) {
      conflict ??= new ConflictError(`an event with id ${event.id} already exists`);
    } else if (existing.fingerprint !== event.fingerprint || !keyed) {
      conflict ??= new ConflictError('this idempotency key was already used with a different request');
    } else {
      accepted.push(acceptedView(existing, true));
      replays.push(existing);
    }
  });
  const forgetUnkeyed = () => {
    const unkeyed = created.filter((event) => !items.find((item) => item.event === event)?.keyed);
    return Promise.all(unkeyed.map((event) => deps.events.deleteEvent(event.key).catch(() => undefined)));
  };
  if (conflict !== undefined) {
    // Nothing of this request is accepted: events stored under a key are found again by the corrected retry.
    await forgetUnkeyed();
    throw conflict;
  }
  // A replay queues again only what may never have been queued: deliveries still pending (not attempted yet, or
  // waiting for a redelivery). Those attempted since are on their way (a retry) or final.
  for (const event of replays) {
    const deliveries = await intakeStep(() => deps.events.getDeliveriesOfEvent(event));
    messages.push(
      ...deliveries
        .filter((d) => d.status === 'pending')
        .map((d) => ({ message: { deliveryId: d.id, attempt: d.attemptCount + 1, redelivery: true as const }, groupId: d.endpointId })),
    );
  }
  const skipped = created.flatMap((event) =>
    event.fanOut
      .filter((f) => f.skipped)
      .map((f) => unattemptedDelivery(event, f)),
  );
  if (skipped.length > 0) await intakeStep(() => deps.events.createSkippedDeliveries(skipped));
  try {
    await enqueue(deps.queue, messages, INTAKE_UNAVAILABLE);
  } catch (error) {
    await forgetUnkeyed();
    throw error;
  }
  return accepted;
}

/**
 * One first-attempt message per pending delivery of a new event (endpoint = message group), carrying the event when
 * it is keyed and small (core/inline-event.ts).
 */
function pendingMessages(event: HeraldEvent, keyed: boolean): QueuedDelivery[] {
  const carry = eventCarrier(event, keyed);
  return event.fanOut
    .filter((f) => !f.skipped)
    .map((f) => {
      const carried = carry(f.endpointId);
      return { message: { deliveryId: deliveryId(event.key, f.endpointId), attempt: 1, ...(carried === undefined ? {} : { event: carried }) }, groupId: f.endpointId };
    });
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
