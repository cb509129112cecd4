/**
 * POST /v1/events and POST /v1/events/batch: accept events durably and fan each out to the subscribed endpoints
 * of its tenant.
 */
import { SUBSCRIPTION_COPIES } from '../../../lib/spec';
import { matchesEventType } from '../../core/event-type';
import type { FanOutEntry, HeraldEvent } from '../../core/model';
import type { Subscription } from '../../ports/endpoint-store';
import { acceptEvents, intakeStep, type AcceptedEvent } from './accept-event';
import { COUNT_METRICS } from '../../ports/metrics';
import { canonicalJson } from './canonical-json';
import type { ApiUseCaseDeps } from './deps';
import { eventIdentity, fingerprint } from './event-key';

export type { AcceptedEvent } from './accept-event';

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

/** The fingerprint of what the client asked for (canonical JSON, so key order and spacing do not matter). */
export function requestFingerprint(request: Pick<PublishRequest, 'type' | 'data' | 'tenant' | 'id' | 'params' | 'errors'>): string {
  // params and errors only when given, so the fingerprint of a request without them is what it always was.
  return fingerprint(
    canonicalJson({
      type: request.type,
      data: request.data,
      tenant: request.tenant,
      id: request.id ?? null,
      ...(request.params === undefined ? {} : { params: request.params }),
      ...(request.errors === undefined ? {} : { errors: request.errors }),
    }),
  );
}

/**
 * Publishes one event: 202 only once it is stored with its fan-out and every pending delivery is on the queue.
 *
 * The data is checked first against its type's schema when the type is registered in the catalog (a 400 naming
 * each offending path), so nothing is stored for an event its own catalog refuses.
 *
 * Fan-out: the endpoints of the event's tenant whose event types match, read from one copy of the tenant's
 * subscription list with a strongly consistent read (never a lagging index): enabled ones get a pending delivery,
 * disabled ones a skipped one (recorded, not queued).
 *
 * Idempotency (the `Idempotency-Key` header, else the body's `id`), scoped by tenant: the same key again with the
 * same request returns the first answer and creates nothing; with another request it is a 409. Without any key a
 * retry after a 503 creates a new event.
 *
 * @throws ValidationError (400) when the data does not match the registered schema of its type
 * @throws ConflictError (409) on a key reused with another request, or an event id already published under another key
 * @throws PayloadTooLargeError (413) when the event cannot be stored
 * @throws UnavailableError (503) when DynamoDB or SQS fails
 */
export async function publishEvent(deps: ApiUseCaseDeps, request: PublishRequest): Promise<AcceptedEvent> {
  const [accepted] = await publishEvents(deps, [request]);
  return accepted as AcceptedEvent;
}

/**
 * Publishes a batch: the same as {@link publishEvent} for each event, in request order, answered together. With
 * an `Idempotency-Key` each event's key is the header and its index, so a retried batch stores and delivers no
 * event twice. One subscription read per tenant serves the whole batch.
 */
export async function publishBatch(deps: ApiUseCaseDeps, events: readonly Omit<PublishRequest, 'idempotencyKey'>[], idempotencyKey?: string): Promise<AcceptedEvent[]> {
  return publishEvents(
    deps,
    events.map((e) => (idempotencyKey === undefined ? e : { ...e, idempotencyKey })),
    true,
  );
}

async function publishEvents(deps: ApiUseCaseDeps, requests: readonly PublishRequest[], batch = false): Promise<AcceptedEvent[]> {
  // Through intakeStep: a store failure here is the intake's 503 (retry with the same key), a mismatch a 400.
  for (const request of requests) await intakeStep(() => deps.catalog.check(request.type, request.data));
  const now = deps.clock.now();
  const copy = (deps.randomBytes(1)[0] ?? 0) % SUBSCRIPTION_COPIES;
  const tenants = [...new Set(requests.map((r) => r.tenant))];
  const subscriptions = new Map<string, Subscription[]>(
    await Promise.all(tenants.map(async (tenant) => [tenant, await intakeStep(() => deps.endpoints.subscriptionsOf(tenant, copy))] as const)),
  );
  const items = requests.map((request, index) => {
    const { id, key } = eventIdentity(request, now, deps.randomBytes, batch && request.id === undefined ? index : undefined);
    const fanOut: FanOutEntry[] = (subscriptions.get(request.tenant) ?? [])
      .filter((s) => matchesEventType(s.eventTypes, request.type))
      .map((s) => (s.disabled ? { endpointId: s.endpointId, skipped: true } : { endpointId: s.endpointId }));
    const event: HeraldEvent = {
      id,
      key,
      type: request.type,
      tenant: request.tenant,
      data: request.data,
      ...(request.params === undefined ? {} : { params: request.params }),
      ...(request.errors === undefined ? {} : { errors: request.errors }),
      createdAt: now,
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      fingerprint: requestFingerprint(request),
      fanOut,
    };
    return { event, keyed: request.id !== undefined || request.idempotencyKey !== undefined };
  });
  const accepted = await acceptEvents(deps, items);
  for (const a of accepted) if (!a.replayed) deps.metrics.count(COUNT_METRICS.published);
  return accepted;
}
