/**
 * POST /v1/events: accept an event durably and fan it out to the subscribed endpoints of its tenant.
 */
import { createHash } from 'node:crypto';
import { ConflictError } from '../../core/errors';
import { matchesEventType } from '../../core/event-type';
import { makeId } from '../../core/ids';
import type { FanOutEntry, IdempotencyRecord } from '../../ports/event-store';
import { COUNT_METRICS } from '../../ports/metrics';
import { acceptEvent, fanOutEntry, intakeStep } from './accept-event';
import { canonicalJson } from './canonical-json';
import type { ApiUseCaseDeps } from './deps';

export interface PublishRequest {
  readonly type: string;
  readonly data: unknown;
  /** '' = no tenant. */
  readonly tenant: string;
  /** The client's own event id; it is also the idempotency key when no `Idempotency-Key` header is sent. */
  readonly id?: string;
  /** The `Idempotency-Key` header. */
  readonly idempotencyKey?: string;
  /** Sent by the payload formats that carry them (`cryptr`). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly errors?: readonly unknown[];
}

export interface AcceptedEvent {
  readonly id: string;
  readonly type: string;
  readonly tenant: string;
  readonly createdAt: number;
  readonly deliveries: readonly FanOutEntry[];
  /** True when this is the stored answer of an earlier request with the same key (nothing was created). */
  readonly replayed: boolean;
}

/** sha256 (hex) of the canonical form of what the client asked for. */
export function requestHash(request: Pick<PublishRequest, 'type' | 'data' | 'tenant' | 'id' | 'params' | 'errors'>): string {
  // params and errors only when given, so the fingerprint of a request without them is what it always was.
  const canonical = canonicalJson({
    type: request.type,
    data: request.data,
    tenant: request.tenant,
    id: request.id ?? null,
    ...(request.params === undefined ? {} : { params: request.params }),
    ...(request.errors === undefined ? {} : { errors: request.errors }),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Publishes an event: 202 only once the event and one delivery per subscribed endpoint are stored and every
 * pending delivery is on the queue.
 *
 * The data is checked first against its type's schema when the type is registered in the catalog (a 400 naming
 * each offending path), so nothing is stored for an event its own catalog refuses.
 *
 * Fan-out: the endpoints of the event's tenant whose event types match; enabled ones get a pending delivery,
 * disabled ones a skipped one (recorded, not queued).
 *
 * Idempotency (the `Idempotency-Key` header, else the body's `id`): the key is claimed first, together with
 * the event id and the fan-out plan. The same key again with the same request returns the first answer once it
 * is complete and creates nothing; while it is still pending (the first request crashed or got a 503) the
 * request resumes the stored plan, so it writes the same event and the same deliveries (their ids are
 * deterministic and their creation conditional) and queues them again; the same key with another request is a
 * 409. Without any key a retry after a 503 creates a new event.
 *
 * @throws ValidationError (400) when the data does not match the registered schema of its type
 * @throws ConflictError (409) on a key reused with another request, or an event id already published under another key
 * @throws UnavailableError (503) when DynamoDB or SQS fails; nothing accepted is lost (the sweep queues stored deliveries)
 */
export async function publishEvent(deps: ApiUseCaseDeps, request: PublishRequest): Promise<AcceptedEvent> {
  // Through intakeStep: a store failure here is the intake's 503 (retry with the same key), a mismatch a 400.
  await intakeStep(() => deps.catalog.check(request.type, request.data));
  const now = deps.clock.now();
  const key = request.idempotencyKey ?? request.id;
  const bodyHash = requestHash(request);
  let eventId = request.id ?? makeId('evt', now, deps.randomBytes(10));
  let createdAt = now;

  if (key !== undefined && request.id !== undefined) {
    // Checked before anything is written: a client-chosen id already taken by a request under another key.
    const existing = await intakeStep(() => deps.events.getEvent(eventId));
    if (existing !== undefined && existing.idempotencyKey !== key) {
      throw new ConflictError(`an event with id ${eventId} already exists`);
    }
  }

  let fanOut: readonly FanOutEntry[] = await planFanOut(deps, eventId, createdAt, request);
  if (key !== undefined) {
    const record: IdempotencyRecord = { key, state: 'pending', bodyHash, eventId, createdAt, fanOut };
    const claim = await intakeStep(() => deps.events.claimIdempotency(record));
    if (!claim.claimed) {
      const held = claim.existing;
      if (held.bodyHash !== bodyHash) {
        throw new ConflictError('this idempotency key was already used with a different request');
      }
      if (held.state === 'complete') {
        return { id: held.eventId, type: request.type, tenant: request.tenant, createdAt: held.createdAt, deliveries: held.fanOut, replayed: true };
      }
      ({ eventId, createdAt, fanOut } = held);
    }
  }

  await acceptEvent(
    deps,
    {
      id: eventId,
      type: request.type,
      tenant: request.tenant,
      data: request.data,
      ...(request.params === undefined ? {} : { params: request.params }),
      ...(request.errors === undefined ? {} : { errors: request.errors }),
      createdAt,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    },
    fanOut,
  );
  if (key !== undefined) await intakeStep(() => deps.events.completeIdempotency(key));
  deps.metrics.count(COUNT_METRICS.published);
  return { id: eventId, type: request.type, tenant: request.tenant, createdAt, deliveries: fanOut, replayed: false };
}

/** One entry per endpoint of the tenant subscribed to the type, oldest endpoint first. */
async function planFanOut(
  deps: ApiUseCaseDeps,
  eventId: string,
  createdAt: number,
  request: Pick<PublishRequest, 'type' | 'tenant'>,
): Promise<FanOutEntry[]> {
  const endpoints = await intakeStep(() => deps.endpoints.listAllOfTenant(request.tenant));
  return endpoints
    .filter((ep) => ep.tenant === request.tenant && matchesEventType(ep.eventTypes, request.type))
    .map((ep) => fanOutEntry(eventId, createdAt, ep));
}
